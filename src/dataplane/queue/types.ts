import type { QueueConfig, QueueEndpointConfig } from '../../config/types.js'
import type { Logger } from 'pino'

/**
 * One job on its way through sluice. The body is JSON text (the list element, the stream entry's
 * `body` field, or what a producer handed to JobRouter.add) and travels to the sink unchanged.
 */
export interface Job {
  /**
   * Stable across re-deliveries of the same job (crash recovery, reclaimed stream entries): the
   * stream field `id`, else the body's `id` key, else one derived from where the job came from
   * (see job.ts). Every sink receives it as its duplicate filter.
   */
  readonly id: string
  /** JSON text, exactly as the source held it. */
  readonly body: string
  /** The body parsed once by the source; undefined when the body is not JSON. */
  readonly data: unknown
  /** The source's handle for ack (list element text, stream entry id); opaque to everyone else. */
  readonly raw: unknown
}

/**
 * Where jobs come from. Guarantees:
 * - at-least-once: a job stays in the source (and is delivered again after a crash of this process
 *   or a restart of the router) until `ack(job)` resolved;
 * - bounded work: at most `concurrency` (see SourceOptions) deliveries are unresolved at any time,
 *   and nothing more is taken from the broker while that many are out (back-pressure);
 * - survives broker outages: taking resumes by itself after a reconnect.
 * Leaves out: ordering across concurrent deliveries, dead-lettering, and deduplication (a job may
 * be delivered twice; its `id` is what lets the sinks drop the copy).
 */
export interface QueueSource {
  /** Begin taking jobs. `deliver` resolves when the job was acknowledged or given back. Call once. */
  start(deliver: (job: Job) => Promise<void>): void
  /** Remove the job from the source for good. Rejects when the broker is unreachable (retry it). */
  ack(job: Job): Promise<void>
  /**
   * Optional: hand a job that no sink took back to the broker, to be delivered again after about
   * `delayMs` (so another router may take it meanwhile). Sources that have it: AMQP (nack with
   * requeue once the delay passed) and JetStream (nak with the delay). Without it the router keeps
   * the job in flight and retries it in place.
   */
  requeue?(job: Job, delayMs: number): Promise<void>
  /** Jobs waiting in the source, including taken but unacknowledged ones (for the backlog gauge). */
  backlog(): Promise<number>
  /**
   * Stop taking, wait up to `timeoutMs` for unresolved deliveries, then close the connections.
   * Jobs not acknowledged by then stay in the source and are delivered again at the next start.
   */
  close(timeoutMs: number): Promise<void>
}

/**
 * Where jobs go. Guarantees: `publish` resolves only once the broker (or HTTP endpoint) confirmed
 * the job, and rejects with a PublishError otherwise (then the job may or may not have arrived:
 * callers publish again, with the same id). Every sink passes `job.id` on as its duplicate filter.
 * Leaves out: exactly-once (list sinks keep duplicates; consumers dedupe by the body's id).
 */
export interface QueueSink {
  publish(job: Job): Promise<void>
  close(): Promise<void>
}

export interface SourceOptions {
  /** Most deliveries unresolved at once (the in-flight bound). */
  readonly concurrency: number
  readonly logger: Logger
  /** Stream sources: entries pending this long with another consumer are reclaimed. */
  readonly minIdleMs?: number
}

export interface SinkOptions {
  readonly logger: Logger
}

/** Builds adapters from config; registry.ts is the real one, tests inject fakes. */
export interface AdapterFactory {
  source(cfg: QueueEndpointConfig, opts: SourceOptions): QueueSource
  sink(cfg: QueueEndpointConfig, opts: SinkOptions): QueueSink
}

/** The two sinks of one queue, by side. */
export interface SinkPair {
  readonly old: QueueSink
  readonly new: QueueSink
}

/** A queue with a source to take jobs from (queues without one are fed by the producer API only). */
export type SourcedQueue = QueueConfig & { readonly source: QueueEndpointConfig }

export function hasSource(q: QueueConfig): q is SourcedQueue {
  return q.source !== undefined
}
