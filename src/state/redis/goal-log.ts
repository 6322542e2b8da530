import type { Redis } from 'ioredis'
import { decodeChunk, encodeChunk, GOAL_LOG_TTL_MS, type GoalChunk } from '../goal-log.js'

/**
 * The goal log in Redis: one list per route and rollout, one binary chunk per element (RPUSH keeps
 * every reader's order). The append and its expiry go in one MULTI, so no log outlives its TTL.
 */
export async function appendChunk(redis: Redis, key: string, chunk: GoalChunk): Promise<void> {
  const results = await redis.multi().rpush(key, encodeChunk(chunk)).pexpire(key, GOAL_LOG_TTL_MS).exec()
  const failed = results?.find(([err]) => err)
  if (!results || failed) throw failed?.[0] ?? new Error('the MULTI for the goal log append was aborted')
}

/** Chunks from `from` on, at most `max` of them; a malformed one is reported to `onBad` and skipped. */
export async function readChunks(
  redis: Redis, key: string, from: number, max: number, onBad: (index: number) => void,
): Promise<{ chunks: GoalChunk[]; next: number }> {
  const raw = await redis.lrangeBuffer(key, from, from + max - 1)
  const chunks: GoalChunk[] = []
  raw.forEach((buf, i) => {
    const c = decodeChunk(buf)
    if (c) chunks.push(c)
    else onBad(from + i)
  })
  return { chunks, next: from + raw.length }
}
