import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { LiveCache, TargetEntry } from './cache.js'
import { decodeLiveHash, decodeMembersHash, encodeLive, membersPairs, parseRef } from './codec.js'
import type { RedisKeys } from './keys.js'
import type { RunScript } from './scripts.js'

/**
 * The reads and writes behind a resync, without state of their own: the store decides when to
 * run them and what to do with the result (store.ts).
 */
export interface SyncDeps {
  readonly cmd: Redis
  readonly run: RunScript
  readonly keys: RedisKeys
  readonly origin: string
  readonly logger: Logger | undefined
}

/** SCAN page size: large enough for few round trips, small enough not to stall Redis. */
const SCAN_COUNT = 500

/** One target's live state and group edits, read together. */
export async function readTarget(deps: SyncDeps, key: string): Promise<TargetEntry> {
  const [liveHash, membersHash] = await Promise.all([
    deps.cmd.hgetall(deps.keys.live(key)),
    deps.cmd.hgetall(deps.keys.members(key)),
  ])
  return entryOf(deps, key, liveHash, membersHash)
}

/**
 * Several targets' live state and group edits, in one pipeline: a follower re-reads the targets
 * another replica changed a batch at a time, so one turn decodes a batch, not thousands of replies.
 */
export async function readTargets(deps: SyncDeps, keys: readonly string[]): Promise<TargetEntry[]> {
  const pipeline = deps.cmd.pipeline()
  for (const key of keys) pipeline.hgetall(deps.keys.live(key)).hgetall(deps.keys.members(key))
  const replies = await pipeline.exec()
  if (replies === null) throw new Error('the pipeline was discarded')
  return keys.map((key, i) => {
    const [liveErr, liveHash] = replies[2 * i]!
    const [membersErr, membersHash] = replies[2 * i + 1]!
    if (liveErr) throw liveErr
    if (membersErr) throw membersErr
    return entryOf(deps, key, liveHash as Record<string, string>, membersHash as Record<string, string>)
  })
}

function entryOf(
  deps: SyncDeps, key: string, liveHash: Record<string, string>, membersHash: Record<string, string>,
): TargetEntry {
  const live = decodeLiveHash(liveHash)
  if (!live && Object.keys(liveHash).length > 0) deps.logger?.warn({ key: deps.keys.live(key) }, 'ignoring malformed live state in Redis')
  return { key, live, members: decodeMembersHash(membersHash) }
}

/** Every target (ref key) that has live state or group edits under this prefix. */
export async function scanTargets(deps: SyncDeps): Promise<Set<string>> {
  const found = new Set<string>()
  let cursor = '0'
  do {
    const [next, keys] = await deps.cmd.scan(cursor, 'MATCH', deps.keys.scanPattern(), 'COUNT', SCAN_COUNT)
    for (const k of keys) {
      const ref = deps.keys.refOfStateKey(k)
      if (ref !== undefined && parseRef(ref)) found.add(ref)
    }
    cursor = next
  } while (cursor !== '0')
  return found
}

/** Write back what Redis lost or holds older than this replica's copy (restore-2.lua); returns how many targets. */
export async function restoreFrom(deps: SyncDeps, cache: LiveCache): Promise<number> {
  const results = await Promise.all([...cache.keys()].map((key) => {
    const live = cache.get(key)
    const members = cache.membersOf(key)
    return deps.run('restore', [deps.keys.live(key), deps.keys.members(key)], [
      live?.version ?? 0, live ? encodeLive(live) : '', members?.version ?? 0, deps.keys.channel, key, deps.origin,
      ...(members ? membersPairs(members.groups) : []),
    ])
  }))
  return results.filter((r) => Array.isArray(r) && r.includes(1)).length
}
