import type { QueueEndpointConfig } from '../../config/types.js'
import { SINK_TYPES, SOURCE_TYPES } from '../../config/schema.js'
import { SluiceError } from '../../util/errors.js'
import { AmqpSink } from './sinks/amqp.js'
import { BullmqSink } from './sinks/bullmq.js'
import { HttpSink } from './sinks/http.js'
import { NatsSink } from './sinks/nats.js'
import { RedisListSink } from './sinks/redis-list.js'
import { RedisStreamSink } from './sinks/redis-stream.js'
import { AmqpSource } from './sources/amqp.js'
import { NatsSource, type NatsSourceConfig } from './sources/nats.js'
import { RedisListSource } from './sources/redis-list.js'
import { RedisStreamSource } from './sources/redis-stream.js'
import type { AdapterFactory, QueueSink, QueueSource, SinkOptions, SourceOptions } from './types.js'

/**
 * Endpoint `type` → adapter, one file per kind. The config layer already rejects unknown types
 * with a line number; an unknown or unsupported type reaching here (a config built in code) is
 * still a config error, never a silent fallback to some default kind. The types each role takes are
 * the schema's lists (config/schema.ts SOURCE_TYPES, SINK_TYPES).
 */
export const registry: AdapterFactory = {
  source(cfg: QueueEndpointConfig, opts: SourceOptions): QueueSource {
    switch (cfg.type) {
      case 'redis-list': return new RedisListSource(cfg, opts)
      case 'redis-stream': return new RedisStreamSource(cfg, opts)
      case 'amqp': return new AmqpSource(cfg, opts)
      case 'nats': return new NatsSource(natsSourceConfig(cfg), opts)
      default: throw unsupported('source', cfg.type, SOURCE_TYPES)
    }
  },
  sink(cfg: QueueEndpointConfig, opts: SinkOptions): QueueSink {
    switch (cfg.type) {
      case 'redis-list': return new RedisListSink(cfg, opts)
      case 'redis-stream': return new RedisStreamSink(cfg, opts)
      case 'bullmq': return new BullmqSink(cfg, opts)
      case 'http': return new HttpSink(cfg, opts)
      case 'amqp': return new AmqpSink(cfg, opts)
      case 'nats': return new NatsSink(cfg, opts)
      default: throw unsupported('sink', (cfg as { type: string }).type, SINK_TYPES)
    }
  },
}

/** The schema requires `stream` on a nats source; a config built in code may still lack it. */
function natsSourceConfig(cfg: Extract<QueueEndpointConfig, { type: 'nats' }>): NatsSourceConfig {
  if (cfg.stream === undefined) throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', 'a nats queue source needs `stream`')
  return { url: cfg.url, stream: cfg.stream, subject: cfg.subject, durable: cfg.durable }
}

function unsupported(role: string, type: string, known: readonly string[]): SluiceError {
  return new SluiceError('SLUICE_ERR_CONFIG_INVALID', `queue ${role} type '${type}' is not supported: use ${known.join(', ')}`)
}
