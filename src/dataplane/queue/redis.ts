import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { openRedis, QUEUE_RECONNECT, redactUrl } from '../../util/redis-connection.js'
import { backoffDelayMs } from '../../util/backoff.js'

/** How long a sink waits for Redis to confirm a publish before it counts as failed (then: fallback or retry). */
export const SINK_COMMAND_TIMEOUT_MS = 5_000

export type RedisRole = 'source' | 'source-blocking' | 'sink'

/**
 * One ioredis connection for a role. `maxRetriesPerRequest: 0`: a command whose reply was lost with
 * the connection is rejected instead of silently re-sent after the reconnect, because a re-sent
 * BLMOVE or LPUSH would move or add a job a second time behind our back; the caller decides what is
 * safe to repeat (at-least-once with a stable id). Blocking commands get their own connection
 * (they hold it) and no command timeout (their timeout is server-side). Close it with closeRedis
 * (util/redis-connection.ts).
 */
export function connectRedis(url: string, role: RedisRole, logger: Logger): Redis {
  const redis = openRedis(url, {
    connectionName: `sluice-${role}`,
    // RESP2: ioredis 6 speaks RESP3 by default, where XREADGROUP, XINFO and XAUTOCLAIM replies
    // through `call` come back as flattened maps; the adapters parse the documented RESP2 shapes.
    protocol: 2,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => backoffDelayMs(times, QUEUE_RECONNECT),
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
