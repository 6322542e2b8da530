import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import type { QueueConfig } from '../../config/types.js'
import type { TargetView } from '../../core/types.js'
import type { OutcomeBus } from '../../observe/events.js'
import type { Random } from '../../util/random.js'
import { backoffMs } from './backoff.js'
import { sleep } from '../../util/sleep.js'
import { decideJob, routeOnce, type RouteContext } from './publish.js'
import type { AdapterFactory, Job, QueueSink, QueueSource, SinkPair, SourcedQueue } from './types.js'

/**
 * Failed attempts remembered per job id for sources that hand failed jobs back (so a redelivered
 * job's backoff keeps growing). Bounded: past this, the oldest entries are forgotten, which only
 * resets their backoff.
 */
const REMEMBERED_FAILURES = 10_000

/**
 * At most one "no sink took the job" warning per this interval: in an outage every job fails once,
 * and a source that hands failed jobs back (JetStream) keeps taking new ones, so one line per job
 * would flood the log. The line says how many others failed since the last one.
 */
const FAILURE_LOG_INTERVAL_MS = 10_000

export interface QueueRouterDeps {
  readonly bus: OutcomeBus
  readonly logger: Logger
  readonly random: Random
  readonly adapters: AdapterFactory
  readonly concurrency: number
  readonly minIdleMs?: number
}

/**
 * One `queues:` entry at work: source → sticky key → decide → publish to the side's sink (new falls
 * back to old) → ack at the source only after a sink confirmed. When both sinks fail the job keeps
 * its in-flight slot and is published again after a backoff (the decision is re-taken each time, so
 * a rollback meanwhile sends it to old); it is never acknowledged unpublished. Sources that can hand
 * a job back to their broker (QueueSource.requeue: AMQP, JetStream) get it back instead, with the
 * backoff as its delay, so the in-flight slot is freed and any router may take it next. On close,
 * jobs still waiting for a retry are given back unacknowledged: the source delivers them again at
 * the next start.
 */
export class QueueRouter {
  readonly config: SourcedQueue
  /** Swapped whole by the plane on every live-state change; read once per publish attempt. */
  view: TargetView
  readonly #source: QueueSource
  readonly #sinks: SinkPair
  readonly #ctx: RouteContext
  readonly #logger: Logger
  readonly #stop = new AbortController()
  /** Job id → failed attempts so far, for jobs handed back with requeue (see REMEMBERED_FAILURES). */
  readonly #failures = new Map<string, number>()
  #lastFailureLog = -Infinity
  #unloggedFailures = 0

  constructor(config: SourcedQueue, view: TargetView, deps: QueueRouterDeps) {
    this.config = config
    this.view = view
    // Every in-flight job may be waiting out a backoff on this signal: the bound is `concurrency`, not 10.
    setMaxListeners(0, this.#stop.signal)
    this.#logger = deps.logger.child({ queue: config.name })
    this.#sinks = createSinks(config, deps.adapters, this.#logger)
    this.#source = createSource(config, deps, this.#logger, this.#sinks)
    this.#ctx = { name: config.name, sinks: this.#sinks, bus: deps.bus, random: deps.random }
  }

  start(): void {
    this.#source.start(this.#deliver)
  }

  backlog(): Promise<number> {
    return this.#source.backlog()
  }

  /** Stop taking, finish (or give back) in-flight jobs within `timeoutMs`, close every connection. */
  async close(timeoutMs: number): Promise<void> {
    this.#stop.abort()
    await this.#source.close(timeoutMs)
    await Promise.allSettled([this.#sinks.old.close(), this.#sinks.new.close()])
  }

  get #stopping(): boolean {
    return this.#stop.signal.aborted
  }

  readonly #deliver = async (job: Job): Promise<void> => {
    for (let attempt = this.#failures.get(job.id) ?? 0; ; attempt++) {
      const result = await routeOnce(this.#ctx, job, decideJob(this.view, job, this.#ctx.random))
      if (result.ok) {
        this.#failures.delete(job.id)
        return this.#ack(job)
      }
      if (attempt === 0) this.#warnUnrouted(job, result.error.message)
      if (this.#source.requeue !== undefined) return this.#requeue(job, attempt)
      await sleep(backoffMs(attempt), this.#stop.signal)
      if (this.#stopping) return
    }
  }

  #warnUnrouted(job: Job, err: string): void {
    const now = Date.now()
    if (now - this.#lastFailureLog < FAILURE_LOG_INTERVAL_MS) {
      this.#unloggedFailures++
      return
    }
    this.#logger.warn({ jobId: job.id, err, othersSinceLastLine: this.#unloggedFailures }, 'no sink took the job; retrying with backoff')
    this.#lastFailureLog = now
    this.#unloggedFailures = 0
  }

  /** Hand the job back to the broker, to come again after its backoff; a failure there means a redelivery anyway. */
  async #requeue(job: Job, attempt: number): Promise<void> {
    this.#failures.delete(job.id)
    this.#failures.set(job.id, attempt + 1)
    if (this.#failures.size > REMEMBERED_FAILURES) this.#failures.delete(this.#failures.keys().next().value!)
    try {
      await this.#source.requeue!(job, backoffMs(attempt))
    } catch (err) {
      this.#logger.debug({ err, jobId: job.id }, 'requeue failed; the broker delivers the job again')
    }
  }

  /** The sink has the job: keep trying to ack (a failed ack only means a duplicate after a restart). */
  async #ack(job: Job): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#source.ack(job)
      } catch (err) {
        if (this.#stopping) return
        this.#logger.debug({ err, jobId: job.id }, 'ack failed; retrying')
        await sleep(backoffMs(attempt), this.#stop.signal)
      }
    }
  }
}

function createSinks(config: QueueConfig, adapters: AdapterFactory, logger: Logger): SinkPair {
  const old = adapters.sink(config.old, { logger })
  try {
    return { old, new: adapters.sink(config.new, { logger }) }
  } catch (err) {
    void old.close()
    throw err
  }
}

function createSource(config: SourcedQueue, deps: QueueRouterDeps, logger: Logger, sinks: SinkPair): QueueSource {
  try {
    const extra = deps.minIdleMs === undefined ? {} : { minIdleMs: deps.minIdleMs }
    return deps.adapters.source(config.source, { concurrency: deps.concurrency, logger, ...extra })
  } catch (err) {
    void closeAll([sinks.old, sinks.new])
    throw err
  }
}

function closeAll(sinks: readonly QueueSink[]): Promise<unknown> {
  return Promise.allSettled(sinks.map((s) => s.close()))
}
