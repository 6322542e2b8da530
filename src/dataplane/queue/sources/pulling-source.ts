import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { closeRedis } from '../../../util/redis-connection.js'
import { backoffMs } from '../backoff.js'
import { sleep } from '../../../util/sleep.js'
import { Batcher } from '../batcher.js'
import { connectRedis } from '../redis.js'
import { Slots } from '../slots.js'
import type { Job, QueueSource, SourceOptions } from '../types.js'

/**
 * What every Redis source shares: a command connection and a blocking one, a bound on jobs in
 * flight, acks batched per event-loop turn, and one take loop that runs `recover()` at start and
 * after any failure (a failed take's reply may have been lost with the connection) with backoff.
 * close() stops taking, waits for in-flight jobs (bounded), then closes both connections.
 * Subclasses say how to take, recover and acknowledge on their Redis type.
 */
export abstract class PullingSource implements QueueSource {
  protected readonly cmd: Redis
  protected readonly blocking: Redis
  protected readonly slots: Slots
  protected readonly logger: Logger
  protected deliver: ((job: Job) => Promise<void>) | undefined
  readonly #stop = new AbortController()
  readonly #acks: Batcher<string>
  #loop: Promise<void> = Promise.resolve()

  constructor(url: string, protected readonly key: string, opts: SourceOptions) {
    this.logger = opts.logger
    this.slots = new Slots(opts.concurrency)
    this.cmd = connectRedis(url, 'source', opts.logger)
    this.blocking = connectRedis(url, 'source-blocking', opts.logger)
    this.#acks = new Batcher((raws) => this.ackBatch(raws))
  }

  abstract backlog(): Promise<number>
  /** Acknowledge a batch of jobs (their `raw` handles) at the source. */
  protected abstract ackBatch(raws: readonly string[]): Promise<void>
  /** Deliver what was taken earlier and never acknowledged (a crashed router's, a lost reply's). */
  protected abstract recover(): Promise<void>
  /** Take new jobs for the free slots; may block briefly when there are none. */
  protected abstract take(): Promise<void>

  start(deliver: (job: Job) => Promise<void>): void {
    this.deliver = deliver
    this.#loop = this.#run()
  }

  ack(job: Job): Promise<void> {
    return this.ackRaw(job.raw as string)
  }

  /** Acknowledge by source handle (e.g. an entry that has no job any more). */
  protected ackRaw(raw: string): Promise<void> {
    return this.#acks.add(raw)
  }

  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    this.#stop.abort()
    this.slots.wake()
    await this.#loop
    await this.slots.whenIdle(Math.max(0, deadline - Date.now()))
    await Promise.all([closeRedis(this.cmd), closeRedis(this.blocking)])
  }

  protected get stopping(): boolean {
    return this.#stop.signal.aborted
  }

  async #run(): Promise<void> {
    let recover = true
    for (let attempt = 0; !this.stopping;) {
      await this.slots.whenFree()
      if (this.stopping) break
      try {
        if (recover) await this.recover()
        recover = false
        await this.take()
        attempt = 0
      } catch (err) {
        recover = true
        this.logger.debug({ err, key: this.key }, 'taking jobs failed; retrying')
        await sleep(backoffMs(attempt++), this.#stop.signal)
      }
    }
  }
}
