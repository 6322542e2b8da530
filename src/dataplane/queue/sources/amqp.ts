import type { Channel, ConsumeMessage } from 'amqplib'
import type { Logger } from 'pino'
import { amqpLink, type AmqpHandle } from '../amqp.js'
import { sleep } from '../../../util/sleep.js'
import { bodyId, contentId, makeJob, parseBody } from '../job.js'
import type { BrokerLink } from '../link.js'
import { Slots } from '../slots.js'
import type { Job, QueueSource, SourceOptions } from '../types.js'

export interface AmqpSourceConfig {
  readonly url: string
  readonly queue: string
  /** Most unacknowledged deliveries at once; undefined: the router's in-flight bound. */
  readonly prefetch: number | undefined
}

/** A job's handle: the delivery, and the channel it came on (delivery tags are per channel). */
interface Delivery {
  readonly channel: Channel
  readonly message: ConsumeMessage
}

/**
 * A consumer on a durable AMQP queue (declared when absent) with manual acknowledgement. The
 * channel's prefetch (`prefetch`, else the router's in-flight bound) is the in-flight bound: the
 * broker sends no more while that many deliveries are unacknowledged. A job is acknowledged only
 * after a sink confirmed it; one no sink took is nacked with requeue once its backoff passed, so
 * it is never dropped. Whatever is unacknowledged when the channel closes (close(), a crash, a lost
 * connection) goes back to the queue by the broker's own rule and is delivered again. A job's id is
 * the message's `messageId`, else the body's `id`, else the sha256 of the body (stable across
 * redeliveries).
 */
export class AmqpSource implements QueueSource {
  readonly #cfg: AmqpSourceConfig
  readonly #logger: Logger
  readonly #slots: Slots
  readonly #stop = new AbortController()
  /** Deliveries on the current channel not yet acknowledged or given back (for the backlog). */
  readonly #unacked = new Set<ConsumeMessage>()
  #link: BrokerLink<AmqpHandle<Channel>> | undefined
  /** The channel deliveries come on now; set before consuming, so the first delivery can be acked. */
  #channel: Channel | undefined
  #deliver: ((job: Job) => Promise<void>) | undefined
  #consumerTag: string | undefined

  constructor(cfg: AmqpSourceConfig, opts: SourceOptions) {
    this.#cfg = cfg
    this.#logger = opts.logger
    this.#slots = new Slots(cfg.prefetch ?? opts.concurrency)
  }

  start(deliver: (job: Job) => Promise<void>): void {
    this.#deliver = deliver
    this.#link = amqpLink<Channel>(this.#cfg.url, 'source', this.#cfg.queue, false, this.#logger, (ch) => this.#consume(ch))
  }

  async ack(job: Job): Promise<void> {
    const d = job.raw as Delivery
    // A tag of a channel that is gone would be an error on the new one: the broker has requeued the
    // job already, and its redelivery carries the same id for the sinks' duplicate filters.
    if (!this.#isCurrent(d)) return
    this.#unacked.delete(d.message)
    d.channel.ack(d.message)
  }

  async requeue(job: Job, delayMs: number): Promise<void> {
    await sleep(delayMs, this.#stop.signal)
    const d = job.raw as Delivery
    if (this.#stop.signal.aborted || !this.#isCurrent(d)) return // the channel's close requeues it
    this.#unacked.delete(d.message)
    d.channel.nack(d.message, false, true)
  }

  /** Ready messages (the queue's `messageCount`) plus those delivered here and not yet acknowledged. */
  async backlog(): Promise<number> {
    const channel = this.#channel
    if (channel === undefined) throw new Error('amqp source not connected')
    const { messageCount } = await channel.checkQueue(this.#cfg.queue)
    return messageCount + this.#unacked.size
  }

  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    this.#stop.abort()
    if (this.#channel !== undefined && this.#consumerTag !== undefined) {
      await this.#channel.cancel(this.#consumerTag).catch(() => {})
    }
    await this.#slots.whenIdle(Math.max(0, deadline - Date.now()))
    await this.#link?.close()
  }

  async #consume(channel: Channel): Promise<void> {
    this.#channel = channel
    this.#unacked.clear()
    channel.once('close', () => {
      if (this.#channel !== channel) return
      this.#channel = undefined
      this.#unacked.clear() // the broker put them back in the queue
    })
    await channel.prefetch(this.#slots.size)
    const { consumerTag } = await channel.consume(this.#cfg.queue, (m) => this.#onMessage(channel, m), { noAck: false })
    this.#consumerTag = consumerTag
  }

  #onMessage(channel: Channel, message: ConsumeMessage | null): void {
    // null: the broker cancelled the consumer (the queue was deleted). Closing the channel makes the
    // link reconnect, which declares the queue again and consumes anew.
    if (message === null) return void channel.close().catch(() => {})
    this.#unacked.add(message)
    this.#slots.take(1)
    const job = messageToJob(message.content.toString('utf8'), message.properties.messageId, { channel, message })
    this.#deliver!(job)
      .catch((err: unknown) => this.#logger.error({ err, jobId: job.id }, 'job delivery failed unexpectedly'))
      .finally(() => this.#slots.release())
  }

  #isCurrent(d: Delivery): boolean {
    return this.#channel === d.channel
  }
}

/** A message as a job: the body as it is; the id from `messageId`, else the body's `id`, else its content. */
export function messageToJob(body: string, messageId: unknown, raw: unknown): Job {
  const data = parseBody(body)
  const given = typeof messageId === 'string' && messageId.length > 0 ? messageId : undefined
  return makeJob(body, raw, data, given ?? bodyId(data) ?? contentId(body))
}
