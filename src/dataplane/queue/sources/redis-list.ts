import { bodyId, contentId, makeJob, parseBody } from '../job.js'
import { ACK_1, TAKE_2 } from '../lua.js'
import type { SourceOptions } from '../types.js'
import { PullingSource } from './pulling-source.js'

/**
 * Server-side BLMOVE timeout when the queue is empty: how long close() may wait for the blocked
 * command to come back. Closing the connection under it instead could leave a just-moved job in the
 * processing list until some router starts on KEY again; four idle round trips a second cost nothing.
 */
const BLOCK_SECONDS = 0.25

export interface RedisListSourceConfig {
  readonly url: string
  readonly key: string
}

/**
 * The reliable-queue pattern on a Redis list. Producers LPUSH to KEY; jobs
 * are taken from the tail (oldest first) and moved atomically into `KEY:processing`, and an ack
 * removes them from there (LREM). Taking is batched (a Lua loop of LMOVE, up to the free in-flight
 * slots) and falls back to a blocking BLMOVE when the queue is empty; acks are batched per turn.
 * Recovery: at start, and after any failed take (its reply may have been lost with the connection),
 * elements in `KEY:processing` that this process is not working on are delivered again, oldest first.
 * One router per KEY: a second one starting would re-deliver the first one's in-flight jobs (duplicates,
 * never losses).
 */
export class RedisListSource extends PullingSource {
  readonly #processing: string
  /** Element text → how many copies this process is delivering (identical elements are possible). */
  readonly #working = new Map<string, number>()

  constructor(cfg: RedisListSourceConfig, opts: SourceOptions) {
    super(cfg.url, cfg.key, opts)
    this.#processing = `${cfg.key}:processing`
  }

  async backlog(): Promise<number> {
    const [waiting, taken] = await Promise.all([this.cmd.llen(this.key), this.cmd.llen(this.#processing)])
    return waiting + taken
  }

  protected async ackBatch(elements: readonly string[]): Promise<void> {
    await ACK_1.run(this.cmd, [this.#processing], elements)
  }

  /** A batch of what is there without blocking; when the queue is empty, one blocking wait. */
  protected async take(): Promise<void> {
    if (this.slots.free === 0) return // recovery may have filled every slot
    const batch = (await TAKE_2.run(this.cmd, [this.key, this.#processing], [this.slots.free])) as string[]
    if (batch.length > 0) return batch.forEach(this.#dispatch)
    const one = await this.blocking.blmove(this.key, this.#processing, 'RIGHT', 'LEFT', BLOCK_SECONDS)
    if (one !== null) this.#dispatch(one)
  }

  /**
   * Delivers what sits in the processing list but is not being worked on here: jobs of a crashed
   * router, and jobs whose take reply was lost. Reads on the ack connection, so an ack sent before
   * is already reflected in both the list and #working.
   */
  protected async recover(): Promise<void> {
    const elements = await this.cmd.lrange(this.#processing, 0, -1)
    const busy = new Map(this.#working)
    const orphans: string[] = []
    for (let i = elements.length - 1; i >= 0; i--) { // the tail is the oldest
      const el = elements[i]!
      const n = busy.get(el) ?? 0
      if (n > 0) busy.set(el, n - 1)
      else orphans.push(el)
    }
    if (orphans.length > 0) this.logger.info({ key: this.key, jobs: orphans.length }, 'recovering unacknowledged jobs')
    for (const el of orphans) {
      await this.slots.whenFree()
      if (this.stopping) return
      this.#dispatch(el)
    }
  }

  readonly #dispatch = (element: string): void => {
    this.slots.take(1)
    this.#working.set(element, (this.#working.get(element) ?? 0) + 1)
    const data = parseBody(element)
    const job = makeJob(element, element, data, bodyId(data) ?? contentId(element))
    this.deliver!(job)
      .catch((err: unknown) => this.logger.error({ err, jobId: job.id }, 'job delivery failed unexpectedly'))
      .finally(() => this.#done(element))
  }

  #done(element: string): void {
    const n = (this.#working.get(element) ?? 1) - 1
    if (n > 0) this.#working.set(element, n)
    else this.#working.delete(element)
    this.slots.release()
  }
}
