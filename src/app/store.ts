import type { Logger } from 'pino'
import type { Config } from '../config/types.js'
import { MemoryStateStore } from '../state/memory.js'
import { RedisStateStore } from '../state/redis/store.js'
import type { StateStore } from '../state/store.js'
import type { Clock } from '../util/clock.js'

/** The configured StateStore: memory (optionally with state.file) or Redis shared by the fleet. */
export function createStore(
  config: Config, logger: Logger, clock: Clock, replica: string, onUp: (up: boolean) => void,
): StateStore {
  const now = () => clock.now()
  if (config.state.store === 'redis') {
    // The config layer requires state.redis with store: redis.
    return new RedisStateStore({
      url: config.state.redis!, keyPrefix: config.state.keyPrefix, name: replica, now, logger, onUp,
    })
  }
  return new MemoryStateStore({
    file: config.state.file, now, onProblem: (message, detail) => logger.error(detail, message),
  })
}
