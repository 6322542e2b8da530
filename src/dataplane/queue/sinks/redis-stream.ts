import type { Redis } from 'ioredis'
import { closeRedis } from '../../../util/redis-connection.js'
import { Batcher } from '../batcher.js'
import { toPublishError } from '../failure.js'
import { XADD_ONCE_1 } from '../lua.js'
import { connectRedis } from '../redis.js'
import type { Job, QueueSink, SinkOptions } from '../types.js'

/**
 * How long a published id is remembered, so publishing it again adds no second entry. Re-publishes
 * come from lost replies (seconds) and from a crashed router's recovery or a reclaimed stream entry
 * (minutes); an hour covers both with room, at about 100 bytes of Redis memory per job and hour.
 */
export const DEDUPE_TTL_MS = 3_600_000

export interface RedisStreamSinkConfig {
  readonly url: string
  readonly key: string
}

/**
 * XADD to KEY with the fields `id` (the job id: the stream's duplicate filter for workers) and
 * `body` (the JSON text). Idempotent re-publish: a Lua script adds the entry only when the marker
 * key `KEY:id:<id>` is absent, and sets it (TTL DEDUPE_TTL_MS) after the XADD, in one atomic step.
 * The jobs of one turn go out as one script call. On Redis Cluster give KEY a hash tag
 * (`jobs:{emails}`): the marker keys share it and so the slot.
 */
export class RedisStreamSink implements QueueSink {
  readonly #redis: Redis
  readonly #batch: Batcher<Job>

  constructor(cfg: RedisStreamSinkConfig, opts: SinkOptions) {
    this.#redis = connectRedis(cfg.url, 'sink', opts.logger)
    const prefix = `${cfg.key}:id:`
    this.#batch = new Batcher(async (jobs) => {
      const args: string[] = [prefix, String(DEDUPE_TTL_MS)]
      for (const j of jobs) args.push(j.id, j.body)
      await XADD_ONCE_1.run(this.#redis, [cfg.key], args)
    })
  }

  async publish(job: Job): Promise<void> {
    try {
      await this.#batch.add(job)
    } catch (err) {
      throw toPublishError(err)
    }
  }

  close(): Promise<void> {
    return closeRedis(this.#redis)
  }
}
