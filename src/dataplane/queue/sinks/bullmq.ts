import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import { lazyModule } from '../../../util/lazy-module.js'
import { closeRedis, whenReady } from '../../../util/redis-connection.js'
import { toPublishError } from '../failure.js'
import { connectRedis, SINK_COMMAND_TIMEOUT_MS } from '../redis.js'
import type { Job, QueueSink, SinkOptions } from '../types.js'

const bullmq = lazyModule<typeof import('bullmq')>('bullmq')

export interface BullmqSinkConfig {
  readonly url: string
  readonly queue: string
  readonly prefix: string
  readonly jobName: string
}

/**
 * A real BullMQ queue (`queue` under `prefix`): `queue.add(jobName, data, { jobId })`, through
 * BullMQ's own Lua scripts, so BullMQ workers see an ordinary job. `data` is the parsed body (the
 * text itself when the body is not JSON). BullMQ's jobId is its duplicate filter: adding an id that
 * still exists is a no-op, so a re-publish after a crash adds nothing. The id is sanitised with
 * bullmqJobId (BullMQ refuses ':' and integer-like custom ids).
 */
export class BullmqSink implements QueueSink {
  readonly #redis: Redis
  readonly #queue: Queue
  readonly #jobName: string

  constructor(cfg: BullmqSinkConfig, opts: SinkOptions) {
    this.#redis = connectRedis(cfg.url, 'sink', opts.logger)
    this.#queue = new (bullmq().Queue)(cfg.queue, { connection: this.#redis, prefix: cfg.prefix })
    this.#queue.on('error', (err: Error) => opts.logger.debug({ err: err.message }, 'bullmq queue error'))
    this.#jobName = cfg.jobName
  }

  async publish(job: Job): Promise<void> {
    try {
      // BullMQ waits for a connection indefinitely; an unreachable Redis must fail the publish instead.
      await whenReady(this.#redis, SINK_COMMAND_TIMEOUT_MS)
      await this.#queue.add(this.#jobName, job.data === undefined ? job.body : job.data, { jobId: bullmqJobId(job.id) })
    } catch (err) {
      throw toPublishError(err)
    }
  }

  async close(): Promise<void> {
    await this.#queue.close()
    await closeRedis(this.#redis)
  }
}

/**
 * A sluice job id as a BullMQ custom job id: BullMQ refuses ids containing ':' and integer-like ids
 * ("42", "-7": they would clash with its own counter ids). Deterministic and reversible
 * (decodeURIComponent gives the id back): '%' becomes %25 and ':' becomes %3A, and an integer-like
 * id has its first character percent-encoded ("42" → "%342", "-7" → "%2D7"). Every other id is
 * used as it is, so workers see the producer's own ids whenever BullMQ allows them.
 */
export function bullmqJobId(id: string): string {
  const escaped = id.replace(/[%:]/g, (c) => (c === '%' ? '%25' : '%3A'))
  if (`${parseInt(escaped, 10)}` !== escaped) return escaped
  return `%${escaped.charCodeAt(0).toString(16).toUpperCase()}${escaped.slice(1)}`
}
