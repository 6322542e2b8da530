import { pino, type Logger } from 'pino'
import type { QueueConfig, Side } from '../../config/types.js'
import type { TargetView } from '../../core/types.js'
import { SluiceError } from '../../util/errors.js'
import type { OutcomeBus } from '../../observe/events.js'
import { randomId, systemRandom, type Random } from '../../util/random.js'
import { bodyId, makeJob, parseBody } from './job.js'
import { decideJob, routeOnce, type RouteContext } from './publish.js'
import { registry } from './registry.js'
import type { Job, SinkPair } from './types.js'
import { buildWorkerOutcome, type WorkerOutcome } from './worker-outcome.js'

export interface JobRouterOptions {
  readonly queue: QueueConfig
  /** The queue's current decision view (read on every add, so live changes apply at once). */
  readonly view: () => TargetView
  readonly bus: OutcomeBus
  readonly random?: Random
  /** Sinks to publish to; by default built from `queue.old` / `queue.new` (and closed by close()). */
  readonly sinks?: SinkPair
  readonly logger?: Logger
}

/**
 * The queue router without a source, for services that produce jobs themselves: `add` decides like
 * the router (sticky `json:FIELD`, groups, percent), publishes to that side's sink, falls back to old
 * when new fails, publishes the one Outcome, and resolves once a sink confirmed the job. When no
 * sink took it, `add` rejects with the PublishError (the producer still holds the job: nothing is
 * lost, it may retry with the same id).
 */
export class JobRouter {
  readonly #ctx: RouteContext
  readonly #view: () => TargetView
  readonly #ownsSinks: boolean

  constructor(opts: JobRouterOptions) {
    const logger = opts.logger ?? pino({ enabled: false })
    this.#ownsSinks = opts.sinks === undefined
    const sinks = opts.sinks ?? {
      old: registry.sink(opts.queue.old, { logger }),
      new: registry.sink(opts.queue.new, { logger }),
    }
    this.#ctx = { name: opts.queue.name, sinks, bus: opts.bus, random: opts.random ?? systemRandom }
    this.#view = opts.view
  }

  /**
   * Route one job: an object (serialised with JSON.stringify) or JSON text. Its id is `opts.id`,
   * else the body's `id`, else a random one; the sink gets it as its duplicate filter.
   */
  async add(job: unknown, opts: { id?: string } = {}): Promise<{ id: string; backend: Side }> {
    const j = toJob(job, opts.id)
    const result = await routeOnce(this.#ctx, j, decideJob(this.#view(), j, this.#ctx.random))
    if (!result.ok) throw result.error
    return { id: j.id, backend: result.servedBy }
  }

  /**
   * A worker's result, published as an Outcome of the side that ran the job, so analysis compares
   * the two queue systems by what their workers achieve, not only by publish success.
   */
  reportOutcome(o: WorkerOutcome): void {
    this.#ctx.bus.publish(buildWorkerOutcome(this.#ctx.name, o))
  }

  /** Closes the sinks this router built (injected sinks belong to the caller). */
  async close(): Promise<void> {
    if (!this.#ownsSinks) return
    await Promise.allSettled([this.#ctx.sinks.old.close(), this.#ctx.sinks.new.close()])
  }
}

function toJob(job: unknown, id: string | undefined): Job {
  const text = typeof job === 'string' ? job : JSON.stringify(job) as string | undefined
  if (text === undefined) throw new SluiceError('SLUICE_ERR_BAD_REQUEST', 'a job must be an object or JSON text')
  const data = typeof job === 'string' ? parseBody(job) : job
  return makeJob(text, undefined, data, id ?? bodyId(data) ?? randomId())
}
