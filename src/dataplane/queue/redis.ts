import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { lazyModule } from '../../util/lazy-module.js'

const ioredis = lazyModule<typeof import('ioredis')>('ioredis')

/**
 * Reconnect delay ceiling: after a Redis restart the router should be working again within about a
 * second, and one attempt per second against a dead server costs nothing.
 */
export const RECONNECT_MAX_MS = 1_000
const RECONNECT_STEP_MS = 50
/** How long a sink waits for Redis to confirm a publish before it counts as failed (then: fallback or retry). */
export const SINK_COMMAND_TIMEOUT_MS = 5_000

export type RedisRole = 'source' | 'source-blocking' | 'sink'

/**
 * One ioredis connection for a role. `maxRetriesPerRequest: 0`: a command whose reply was lost with
 * the connection is rejected instead of silently re-sent after the reconnect, because a re-sent
 * BLMOVE or LPUSH would move or add a job a second time behind our back; the caller decides what is
 * safe to repeat (at-least-once with a stable id). Blocking commands get their own connection
 * (they hold it) and no command timeout (their timeout is server-side).
 */
export function connectRedis(url: string, role: RedisRole, logger: Logger): Redis {
  const redis = new (ioredis().Redis)(url, {
    connectionName: `sluice-${role}`,
    // RESP2: ioredis 6 speaks RESP3 by default, where XREADGROUP, XINFO and XAUTOCLAIM replies
    // through `call` come back as flattened maps; the adapters parse the documented RESP2 shapes.
    protocol: 2,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(times * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
    ...(role === 'sink' ? { commandTimeout: SINK_COMMAND_TIMEOUT_MS } : {}),
  })
  watchErrors(redis, url, role, logger)
  return redis
}

/** One warning per outage (not one per reconnect attempt); ioredis needs a listener or it prints its own. */
function watchErrors(redis: Redis, url: string, role: RedisRole, logger: Logger): void {
  let down = false
  redis.on('error', (err: Error) => {
    if (down) return logger.debug({ err: err.message, role }, 'redis still unreachable')
    down = true
    logger.warn({ err: err.message, role, redis: redactUrl(url) }, 'redis connection failed; retrying')
  })
  redis.on('ready', () => {
    if (down) logger.info({ role, redis: redactUrl(url) }, 'redis connection back')
    down = false
  })
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

/** A Redis URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<invalid url>'
  }
}

/** Close without waiting for a server that may be gone: QUIT when connected, else disconnect. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit()
      return
    } catch {
      // fall through: the connection went away while quitting
    }
  }
  redis.disconnect()
}
