import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream'
import type { Logger } from 'pino'
import { SluiceError } from '../../../util/errors.js'
import { backoffMs } from '../backoff.js'
import { sleep } from '../../../util/sleep.js'
import { bodyId, makeJob, parseBody } from '../job.js'
import type { BrokerLink } from '../link.js'
import { jetstreamModule, nanos, natsLink, subjectMatches, type NatsHandle } from '../nats.js'
import { Slots } from '../slots.js'
import { endOfTurn } from '../turn.js'
import type { Job, QueueSource, SourceOptions } from '../types.js'

export const DEFAULT_DURABLE = 'sluice'
/**
 * How long JetStream waits for an ack before delivering a job again (a crashed router's jobs come
 * back after this). Longer than the slowest publish (sink timeouts and retries), short enough that
 * a crash delays its in-flight jobs by half a minute at most.
 */
export const ACK_WAIT_MS = 30_000
/** A pull request's lifetime when the stream is idle (the client's minimum is 1 s). */
const FETCH_EXPIRES_MS = 1_000
/** Clock skew and delivery time between our pull's expiry and the server's. */
const PULL_END_MARGIN_MS = 100
/** A publish may wait this long for the first connection before the take loop backs off. */
const CONNECT_WAIT_MS = 5_000

export interface NatsSourceConfig {
  readonly url: string
  readonly stream: string
  readonly subject: string
  readonly durable: string | undefined
}

/**
 * A JetStream durable pull consumer (`durable`, default `sluice`) on `stream`, filtered to
 * `subject`, explicit acks. The stream (capturing `subject`) and the consumer are created when
 * absent; when they exist but do not fit (the stream does not capture the subject, the consumer is
 * a push consumer or filters another subject) or the account may not create them, the source logs a
 * configuration error and retries with backoff. Jobs are pulled in batches of the free in-flight
 * slots, so no more than `concurrency` are out at once. A job is acknowledged only after a sink
 * confirmed it; one no sink took is nak'ed with a delay (its backoff), so JetStream delivers it again
 * then. Jobs unacknowledged at close() are nak'ed at once (the next router gets them without waiting);
 * a crashed router's come back after ACK_WAIT_MS. A job's id is its `Nats-Msg-Id` header, else the
 * body's `id`, else `STREAM-SEQ` (its stream sequence, stable across redeliveries).
 */
export class NatsSource implements QueueSource {
  readonly #cfg: NatsSourceConfig
  readonly #durable: string
  readonly #logger: Logger
  readonly #slots: Slots
  readonly #stop = new AbortController()
  /** Delivered and neither acknowledged nor given back: nak'ed at close. */
  readonly #working = new Set<JsMsg>()
  #link: BrokerLink<NatsHandle> | undefined
  #deliver: ((job: Job) => Promise<void>) | undefined
  #consumer: Consumer | undefined
  #batch: ConsumerMessages | undefined
  /** When the last pull request expires at the server. */
  #pullEnds = 0
  #loop: Promise<void> = Promise.resolve()
  /** The last configuration problem logged, so it is logged once, not once per retry. */
  #problem: string | undefined

  constructor(cfg: NatsSourceConfig, opts: SourceOptions) {
    this.#cfg = cfg
    this.#durable = cfg.durable ?? DEFAULT_DURABLE
    this.#logger = opts.logger
    this.#slots = new Slots(opts.concurrency)
  }

  start(deliver: (job: Job) => Promise<void>): void {
    this.#deliver = deliver
    this.#link = natsLink(this.#cfg.url, 'source', this.#logger)
    this.#loop = this.#run()
  }

  async ack(job: Job): Promise<void> {
    const m = job.raw as JsMsg
    this.#working.delete(m)
    await endOfTurn()
    // Fire and forget, as acks are in JetStream: a lost ack means one redelivery after ACK_WAIT_MS,
    // which carries the same id for the sinks' duplicate filters.
    ignoreClosed(() => m.ack())
  }

  async requeue(job: Job, delayMs: number): Promise<void> {
    const m = job.raw as JsMsg
    this.#working.delete(m)
    ignoreClosed(() => m.nak(delayMs))
  }

  /** The consumer's `num_pending` (not yet delivered) plus `num_ack_pending` (delivered, unacknowledged). */
  async backlog(): Promise<number> {
    if (this.#consumer === undefined) throw new Error('nats source not ready')
    const info = await this.#consumer.info()
    return info.num_pending + info.num_ack_pending
  }

  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    this.#stop.abort()
    this.#slots.wake()
    await this.#batch?.close().catch(() => {})
    await this.#loop
    await this.#slots.whenIdle(Math.max(0, deadline - Date.now()))
    // Give the rest back only once our last pull request has expired at the server: nak'ed
    // earlier, a job is redelivered into that request, whose subscription is gone, and waits there
    // for the ack wait instead of going to the next router at once. At most FETCH_EXPIRES_MS.
    if (this.#working.size > 0) await sleep(Math.max(0, this.#pullEnds + PULL_END_MARGIN_MS - Date.now()))
    for (const m of this.#working) ignoreClosed(() => m.nak())
    this.#working.clear()
    await this.#link?.close()
  }

  get #stopping(): boolean {
    return this.#stop.signal.aborted
  }

  async #run(): Promise<void> {
    for (let attempt = 0; !this.#stopping;) {
      await this.#pullRoom()
      if (this.#stopping) break
      try {
        const handle = await this.#link!.whenUp(CONNECT_WAIT_MS)
        this.#consumer ??= await this.#ensureConsumer(handle)
        await this.#take(this.#consumer)
        attempt = 0
      } catch (err) {
        // The stream or consumer may be gone (a broker that lost its store): set up again.
        this.#consumer = undefined
        this.#report(err)
        await sleep(backoffMs(attempt++), this.#stop.signal)
      }
    }
  }

  /**
   * Waits for room for a pull worth its cost: a quarter of the slots, or any while none is in use.
   * Each pull is a request with its own inbox subscription; pulling for every slot freed one at a
   * time would cost that per job.
   */
  async #pullRoom(): Promise<void> {
    const worth = Math.ceil(this.#slots.size / 4)
    while (!this.#stopping && (this.#slots.free === 0 || (this.#slots.free < worth && this.#slots.used > 0))) {
      await this.#slots.whenReleased()
    }
  }

  async #take(consumer: Consumer): Promise<void> {
    this.#pullEnds = Date.now() + FETCH_EXPIRES_MS
    const batch = await consumer.fetch({ max_messages: this.#slots.free, expires: FETCH_EXPIRES_MS })
    this.#batch = batch
    try {
      for await (const m of batch) this.#dispatch(m)
    } finally {
      this.#batch = undefined
    }
  }

  #dispatch(m: JsMsg): void {
    if (this.#stopping) return void this.#working.add(m) // arrived while closing: nak'ed by close()
    this.#slots.take(1)
    this.#working.add(m)
    const job = jsMsgToJob(m, this.#cfg.stream)
    this.#deliver!(job)
      .catch((err: unknown) => this.#logger.error({ err, jobId: job.id }, 'job delivery failed unexpectedly'))
      .finally(() => this.#slots.release())
  }

  /** The stream and the durable consumer, created when absent, checked when present. */
  async #ensureConsumer({ nc, js }: NatsHandle): Promise<Consumer> {
    const { stream, subject } = this.#cfg
    const durable = this.#durable
    const jsm = await configStep(`JetStream is not available for this account`, () => jetstreamModule().jetstreamManager(nc))
    const info = await jsm.streams.info(stream)
      .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)))
    if (info === undefined) {
      await configStep(`cannot create stream '${stream}' for subject '${subject}'`, () => jsm.streams.add({ name: stream, subjects: [subject] }))
      this.#logger.info({ stream, subject }, 'nats source: created the stream')
    } else if (!info.config.subjects?.some((p) => subjectMatches(p, subject))) {
      throw configError(`stream '${stream}' does not capture subject '${subject}' (its subjects: ${(info.config.subjects ?? []).join(', ') || 'none'})`)
    }
    const ci = await jsm.consumers.info(stream, durable)
      .catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)))
    if (ci === undefined) {
      const { AckPolicy, DeliverPolicy } = jetstreamModule()
      await configStep(`cannot create durable consumer '${durable}' on stream '${stream}'`, () => jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: subject,
        ack_wait: nanos(ACK_WAIT_MS),
      }))
      this.#logger.info({ stream, durable }, 'nats source: created the durable consumer')
    } else if (ci.config.deliver_subject !== undefined && ci.config.deliver_subject !== '') {
      throw configError(`consumer '${durable}' on stream '${stream}' is a push consumer: sluice needs a pull consumer`)
    } else if (ci.config.filter_subject !== undefined && ci.config.filter_subject !== '' && !subjectMatches(ci.config.filter_subject, subject)) {
      throw configError(`consumer '${durable}' on stream '${stream}' filters '${ci.config.filter_subject}', not '${subject}'`)
    }
    const consumer = await js.consumers.get(stream, durable)
    if (this.#problem !== undefined) this.#logger.info({ stream, durable }, 'nats source: stream and consumer ready')
    this.#problem = undefined
    return consumer
  }

  #report(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err)
    if (!(err instanceof SluiceError)) return this.#logger.debug({ err: message }, 'nats source: taking jobs failed; retrying')
    if (this.#problem === message) return
    this.#problem = message
    this.#logger.error({ code: err.code, err: message, stream: this.#cfg.stream }, 'nats source cannot start: fix the configuration or the account')
  }
}

/** A JetStream message as a job: the id from `Nats-Msg-Id`, else the body's `id`, else STREAM-SEQ. */
export function jsMsgToJob(m: JsMsg, stream: string): Job {
  const body = m.string()
  const data = parseBody(body)
  const header = m.headers?.get('Nats-Msg-Id')
  const given = header !== undefined && header.length > 0 ? header : undefined
  return makeJob(body, m, data, given ?? bodyId(data) ?? `${stream}-${m.seq}`)
}

function configError(message: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_CONFIG_INVALID', `nats source: ${message}`, cause === undefined ? undefined : { cause })
}

/** Runs a set-up step; an API refusal (permissions, limits, JetStream off) becomes a configuration error. */
async function configStep<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (err) {
    const name = err instanceof Error ? err.name : ''
    if (name === 'TimeoutError' || name === 'ClosedConnectionError' || name === 'DrainingConnectionError') throw err
    throw configError(`${what}: ${err instanceof Error ? err.message : String(err)}`, err)
  }
}

function isNotFound(err: unknown): boolean {
  const name = err instanceof Error ? err.name : ''
  return name === 'StreamNotFoundError' || name === 'ConsumerNotFoundError'
}

/** Acks and naks on a connection that closed meanwhile: JetStream redelivers after its ack wait. */
function ignoreClosed(fn: () => void): void {
  try {
    fn()
  } catch {
    // the redelivery carries the same id
  }
}
