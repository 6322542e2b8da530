import type { Logger } from 'pino'
import type { QueueConfig } from '../../config/types.js'
import type { TargetView } from '../../core/types.js'
import type { OutcomeBus } from '../../observe/events.js'
import { systemRandom, type Random } from '../../util/random.js'
import { QueueRouter } from './queue-router.js'
import { registry } from './registry.js'
import { hasSource, type AdapterFactory, type SourcedQueue } from './types.js'

/**
 * In-flight jobs per queue: enough to keep Redis round trips overlapped (batches of this size per
 * command), small enough that a crash re-delivers at most this many jobs twice.
 */
export const DEFAULT_CONCURRENCY = 32
/** The backlog gauge is a trend for operators, not a control signal: every few seconds is plenty. */
export const BACKLOG_INTERVAL_MS = 5_000
/** A router removed or replaced by a reload gets this long to finish its in-flight jobs. */
export const REPLACE_TIMEOUT_MS = 10_000

export interface QueueDataPlaneOptions {
  /** Receives one Outcome per publish attempt of a job (normally one per job). */
  bus: OutcomeBus
  logger: Logger
  /** For decisions of jobs without a sticky key. */
  random?: Random
  /** Called every `backlogIntervalMs` with the source's waiting plus unacknowledged jobs. */
  onBacklog?: (queue: string, jobs: number) => void
  concurrency?: number
  backlogIntervalMs?: number
  /** Stream sources: idle time after which another consumer's pending entries are reclaimed. */
  minIdleMs?: number
  /** Adapter factory; the real registry unless a test injects fakes. */
  adapters?: AdapterFactory
}

interface Running {
  readonly router: QueueRouter
  /** The endpoint config: a change of it means new connections, so a new router. */
  readonly endpoints: string
}

/**
 * The queue data plane: one QueueRouter per `queues:` entry. `setQueues` reconciles the running set
 * with the config: a queue whose endpoints changed gets a fresh router (the old one drains first, so
 * a source is never consumed twice by this process), removed queues are drained and closed, and a
 * change of views only (percent, groups, sticky) swaps the view the router reads, with no restart.
 */
export class QueueDataPlane {
  readonly #opts: QueueDataPlaneOptions
  readonly #running = new Map<string, Running>()
  /** The latest views handed in; routers created later read theirs from here. */
  #views: ReadonlyMap<string, TargetView> = new Map()
  /** Reconciliations run one after another, so a queue never gets two routers. */
  #chain: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined
  #closing: Promise<void> | undefined

  constructor(opts: QueueDataPlaneOptions) {
    this.#opts = opts
    if (opts.onBacklog !== undefined) {
      this.#timer = setInterval(() => this.#pollBacklog(), opts.backlogIntervalMs ?? BACKLOG_INTERVAL_MS)
      this.#timer.unref()
    }
  }

  /**
   * Install queues and their decision views (by queue name). New views reach running routers at
   * once, even while an earlier call is still draining a replaced router; starting and stopping
   * routers happens in call order. Resolves when this call's routers are started (connections are
   * made in the background: an unreachable Redis delays jobs, never the caller).
   */
  setQueues(queues: readonly QueueConfig[], views: ReadonlyMap<string, TargetView>): Promise<void> {
    if (this.#closing !== undefined) return Promise.resolve()
    for (const q of queues) {
      if (!views.has(q.name)) throw new Error(`queue '${q.name}' has no view: setQueues needs one for every queue`)
    }
    this.#views = views
    for (const [name, { router }] of this.#running) {
      const view = views.get(name)
      if (view !== undefined) router.view = view
    }
    const run = this.#chain.then(() => this.#reconcile(queues))
    this.#chain = run.catch(() => {})
    return run
  }

  /** Stop taking everywhere, finish in-flight jobs within `timeoutMs`, close every connection. */
  close(timeoutMs: number): Promise<void> {
    this.#closing ??= this.#close(timeoutMs)
    return this.#closing
  }

  /** Names of the running routers (for status and tests). */
  queues(): string[] {
    return [...this.#running.keys()]
  }

  async #close(timeoutMs: number): Promise<void> {
    clearInterval(this.#timer)
    const all = [...this.#running.values()]
    this.#running.clear()
    // A reconciliation may be draining a replaced router: wait for it too, within the same deadline.
    const pending = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())
    await Promise.allSettled([...all.map((r) => r.router.close(timeoutMs)), Promise.race([this.#chain, pending])])
  }

  async #reconcile(queues: readonly QueueConfig[]): Promise<void> {
    if (this.#closing !== undefined) return
    // Queues without a source are fed by the producer API: no router for them.
    const sourced = queues.filter(hasSource)
    const wanted = new Set(sourced.map((q) => q.name))
    const stopping = [...this.#running.keys()].filter((name) => !wanted.has(name)).map((name) => this.#stop(name))
    await Promise.all([...stopping, ...sourced.map((q) => this.#apply(q))])
  }

  async #apply(q: SourcedQueue): Promise<void> {
    const endpoints = endpointsOf(q)
    const current = this.#running.get(q.name)
    if (current !== undefined && current.endpoints === endpoints) return
    if (current !== undefined) await this.#stop(q.name)
    const view = this.#views.get(q.name)
    // No view: a later setQueues dropped this queue and will stop it; closing: nothing new starts.
    if (this.#closing !== undefined || view === undefined) return
    const router = new QueueRouter(q, view, this.#deps())
    this.#running.set(q.name, { router, endpoints })
    router.start()
    this.#opts.logger.info({ queue: q.name, source: q.source.type, old: q.old.type, new: q.new.type }, 'queue router started')
  }

  async #stop(name: string): Promise<void> {
    const current = this.#running.get(name)
    if (current === undefined) return
    this.#running.delete(name)
    await current.router.close(REPLACE_TIMEOUT_MS)
    this.#opts.logger.info({ queue: name }, 'queue router stopped')
  }

  #deps(): ConstructorParameters<typeof QueueRouter>[2] {
    const o = this.#opts
    return {
      bus: o.bus,
      logger: o.logger,
      random: o.random ?? systemRandom,
      adapters: o.adapters ?? registry,
      concurrency: o.concurrency ?? DEFAULT_CONCURRENCY,
      ...(o.minIdleMs === undefined ? {} : { minIdleMs: o.minIdleMs }),
    }
  }

  #pollBacklog(): void {
    for (const [name, { router }] of this.#running) {
      router.backlog().then(
        (jobs) => this.#opts.onBacklog?.(name, jobs),
        (err: unknown) => this.#opts.logger.debug({ err, queue: name }, 'backlog poll failed'),
      )
    }
  }
}

/** Each queue config's endpoints as text, once: every live change reconciles every queue. */
const endpointTexts = new WeakMap<SourcedQueue, string>()

function endpointsOf(q: SourcedQueue): string {
  let text = endpointTexts.get(q)
  if (text === undefined) {
    text = JSON.stringify([q.source, q.old, q.new])
    endpointTexts.set(q, text)
  }
  return text
}
