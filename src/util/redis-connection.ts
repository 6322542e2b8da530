import type { Redis, RedisOptions } from 'ioredis'
import { lazyModule } from './lazy-module.js'
import type { BackoffPolicy } from './backoff.js'

/**
 * What every Redis connection of sluice shares, the state store's (state/redis/link.ts) and the
 * queue adapters' (dataplane/queue/redis.ts): ioredis loaded on first use, the reconnect delays,
 * closing without waiting for a server that may be gone, and a URL fit for logs. Each user keeps
 * its own policy (which commands may queue or time out) in the options it passes to openRedis.
 */

const ioredis = lazyModule<typeof import('ioredis')>('ioredis')

/**
 * Reconnect delay ceiling: after a Redis restart sluice should be working again within about a
 * second, and one attempt per second against a dead server costs nothing.
 */
const RECONNECT_MAX_MS = 1_000
/** The first step of the reconnect delays. */
const RECONNECT_STEP_MS = 50

/**
 * The state store's reconnect delays (ioredis counts attempts from 1): 100 ms, 200 ms, … capped at
 * RECONNECT_MAX_MS, so a returning Redis is seen within a second.
 */
export const STATE_STORE_RECONNECT: BackoffPolicy = {
  growth: 'doubling', stepMs: RECONNECT_STEP_MS, maxMs: RECONNECT_MAX_MS,
}

/** The queue adapters' reconnect delays: 50 ms, 100 ms, 150 ms, … capped at RECONNECT_MAX_MS. */
export const QUEUE_RECONNECT: BackoffPolicy = {
  growth: 'stepped', stepMs: RECONNECT_STEP_MS, maxMs: RECONNECT_MAX_MS,
}

/**
 * A new ioredis connection (ioredis is loaded here on first use, see util/lazy-module.ts). Replies
 * keep ioredis' default mapping (no `replyMapping`: the callers parse the default shapes).
 */
export function openRedis(url: string, options: Omit<RedisOptions, 'replyMapping'>): Redis {
  return new (ioredis().Redis)(url, options)
}

/** Close without waiting for a server that may be gone: QUIT when connected, else disconnect. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit()
      return
    } catch {
      // fall through: the connection went away while quitting; drop the socket instead
    }
  }
  redis.disconnect()
}

/**
 * Resolves when the connection is ready; rejects at the first connection error or after `timeoutMs`.
 * For clients that would otherwise wait for a connection forever (BullMQ's queue.add does).
 */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve()
  return new Promise((resolve, reject) => {
    const finish = (err?: Error): void => {
      clearTimeout(timer)
      redis.off('ready', onReady)
      redis.off('error', finish)
      if (err) reject(err)
      else resolve()
    }
    const onReady = (): void => finish()
    const timer = setTimeout(() => finish(Object.assign(new Error('redis not ready'), { code: 'ETIMEDOUT' })), timeoutMs)
    redis.once('ready', onReady)
    redis.once('error', finish)
  })
}

/** A URL without its password, for logs (Redis, AMQP and NATS URLs alike). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<invalid url>'
  }
}
