import type { QueueEndpointConfig } from '../../config/types.js'
import { SluiceError } from '../../errors.js'
import { BullmqSink } from './sinks/bullmq.js'
import { HttpSink } from './sinks/http.js'
import { RedisListSink } from './sinks/redis-list.js'
import { RedisStreamSink } from './sinks/redis-stream.js'
import { RedisListSource } from './sources/redis-list.js'
import { RedisStreamSource } from './sources/redis-stream.js'
import type { AdapterFactory, QueueSink, QueueSource, SinkOptions, SourceOptions } from './types.js'

/**
 * Endpoint `type` → adapter, one file per kind. The config layer already rejects unknown types
 * with a line number; an unknown or unsupported type reaching here (a config built in code) is
 * still a config error, never a silent fallback to some default kind.
 */
export const registry: AdapterFactory = {
  source(cfg: QueueEndpointConfig, opts: SourceOptions): QueueSource {
    switch (cfg.type) {
      case 'redis-list': return new RedisListSource(cfg, opts)
      case 'redis-stream': return new RedisStreamSource(cfg, opts)
      default: throw unsupported('source', cfg.type, ['redis-list', 'redis-stream'])
    }
  },
  sink(cfg: QueueEndpointConfig, opts: SinkOptions): QueueSink {
    switch (cfg.type) {
      case 'redis-list': return new RedisListSink(cfg, opts)
      case 'redis-stream': return new RedisStreamSink(cfg, opts)
      case 'bullmq': return new BullmqSink(cfg, opts)
      case 'http': return new HttpSink(cfg, opts)
      default: throw unsupported('sink', (cfg as { type: string }).type, ['redis-list', 'redis-stream', 'bullmq', 'http'])
    }
  },
}

function unsupported(role: string, type: string, known: readonly string[]): SluiceError {
  return new SluiceError('SLUICE_ERR_CONFIG_INVALID', `queue ${role} type '${type}' is not supported: use ${known.join(', ')}`)
}
