import type { Redis } from 'ioredis'
import { EMPTY_SIDE, FLEET_WINDOW_TTL_WINDOWS, mergeShadow, mergeSides, parseSides, type SerializedShadow, type MergedWindow, type WindowRef, type WindowSides } from '../fleet.js'

/**
 * Fleet windows in Redis: one hash per target and window, one field per replica, so a retried
 * flush overwrites instead of adding twice. The write and its expiry go in one MULTI: a window key
 * without a TTL would never go away.
 */
export async function flushWindowTo(
  redis: Redis, key: string, window: WindowRef, replica: string, sides: WindowSides,
): Promise<void> {
  const ttlMs = window.ms * FLEET_WINDOW_TTL_WINDOWS
  const body = JSON.stringify({ old: sides.old, new: sides.new, ...(sides.shadow ? { shadow: sides.shadow } : {}) })
  const results = await redis.multi().hset(key, replica, body).pexpire(key, ttlMs).exec()
  const failed = results?.find(([err]) => err)
  if (!results || failed) throw failed?.[0] ?? new Error('the MULTI for the window flush was aborted')
}

/**
 * Merge every replica's contribution to one window. A contribution that is not the shape sluice
 * writes is skipped (and reported to `onBad`), never counted.
 */
export async function readWindowFrom(
  redis: Redis, key: string, onBad: (replica: string) => void,
): Promise<MergedWindow> {
  const fields = await redis.hgetall(key)
  let old = EMPTY_SIDE
  let neu = EMPTY_SIDE
  let shadow: SerializedShadow | undefined
  let replicas = 0
  for (const [replica, text] of Object.entries(fields)) {
    const sides = parseSides(text)
    if (!sides) { onBad(replica); continue }
    old = mergeSides(old, sides.old)
    neu = mergeSides(neu, sides.new)
    shadow = mergeShadow(shadow, sides.shadow)
    replicas++
  }
  return shadow === undefined ? { old, new: neu, replicas } : { old, new: neu, shadow, replicas }
}
