import type { Redis } from 'ioredis'
import { closeRedis } from '../../../util/redis-connection.js'
import { Batcher } from '../batcher.js'
import { toPublishError } from '../failure.js'
import { connectRedis } from '../redis.js'
import type { Job, QueueSink, SinkOptions } from '../types.js'

export interface RedisListSinkConfig {
  readonly url: string
  readonly key: string
}

/**
 * LPUSH to KEY, the producer side of the usual list queue: workers take from the other end
 * (BRPOP, or BLMOVE … RIGHT as sluice's own list source does), so jobs stay first in, first out.
 * The jobs of one turn go out as one LPUSH, in order. The element is the job's JSON text, unchanged.
 * At-least-once: a list has no duplicate filter, so a job published again (after a lost reply or a
 * router crash) is a second, byte-identical element; workers dedupe by the body's `id` (or, for
 * bodies without one, by the content: sluice's id for them is the sha256 of the text).
 */
export class RedisListSink implements QueueSink {
  readonly #redis: Redis
  readonly #batch: Batcher<string>

  constructor(cfg: RedisListSinkConfig, opts: SinkOptions) {
    this.#redis = connectRedis(cfg.url, 'sink', opts.logger)
    this.#batch = new Batcher(async (bodies) => {
      await this.#redis.lpush(cfg.key, ...bodies)
    })
  }

  async publish(job: Job): Promise<void> {
    try {
      await this.#batch.add(job.body)
    } catch (err) {
      throw toPublishError(err)
    }
  }

  close(): Promise<void> {
    return closeRedis(this.#redis)
  }
}
