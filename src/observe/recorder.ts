import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { SIDES, type QueueConfig, type RouteConfig, type Side } from '../config/types.js'
import { type Kind, type RolloutState, type TargetRef } from '../core/types.js'
import type { Outcome } from './events.js'
import type { GoalSeries } from './goals.js'
import {
  TargetTally, newRouteTally, registerRouteFamilies, registerTargetFamilies, type RouteTally, type ScrapedFamily,
} from './route-tallies.js'

/**
 * Owns every `sluice_*` metric (the only module that imports prom-client, on a private Registry).
 *
 * Guarantees: every known label combination of the configured targets exists from `setTargets` on
 * (at 0), so `increase()` alerts fire on the first event; series of targets that left the config are
 * removed; `outcome` never throws and allocates no label objects (a route's series are plain
 * numbers, observe/route-tallies.ts, formatted at scrape time). Leaves out: deciding anything; it
 * only records.
 */
export interface Recorder {
  /** (Re)initialise every known label set at 0 for these routes/queues (start-up and every reload); removes series of targets that disappeared. Existing series keep their values. */
  setTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): void
  /** Subscribe this to the OutcomeBus. Outcomes of targets not passed to `setTargets` are dropped. */
  outcome(o: Outcome): void
  percent(ref: TargetRef, percentBp: number): void
  rolloutState(ref: TargetRef, state: RolloutState): void
  rollback(ref: TargetRef, reason: string): void
  /** `at` is epoch ms; the success timestamp only moves on success. */
  configReload(ok: boolean, at: number): void
  stateStoreUp(up: boolean): void
  leader(isLeader: boolean): void
  /** Jobs waiting in a queue's source. */
  queueBacklog(queue: string, jobs: number): void
  /** A fault nothing handled (a bug): the process policy logs it, counts it here and keeps serving. */
  internalError(source: InternalErrorSource): void
  /** The goal series (registerGoalMetrics below), read from `source` at each scrape; call once. */
  watchGoals(source: () => readonly GoalSeries[]): void
  render(): Promise<string>
  readonly contentType: string
}

/** Proxy latency buckets in seconds: fine below 5 ms (proxy overhead), up to 60 s (slow backends, long uploads). */
const REQUEST_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
/** Routing a job is a publish to a broker: much faster than a proxied request. */
const JOB_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
const JOB_OUTCOMES = ['routed', 'failed'] as const
/** Where an unhandled fault surfaced: a thrown exception nothing caught, or a rejected promise nobody awaited. */
export const INTERNAL_ERROR_SOURCES = ['uncaught_exception', 'unhandled_rejection'] as const
export type InternalErrorSource = (typeof INTERNAL_ERROR_SOURCES)[number]

type CounterChild = Counter.Internal
type HistogramChild = Histogram.Internal<string>

type QueueSeries = Readonly<Record<Side, { readonly routed: CounterChild; readonly failed: CounterChild; readonly duration: HistogramChild }>>

export function createRecorder(opts: { version?: string } = {}): Recorder {
  return new PromRecorder(opts.version ?? 'unknown')
}

class PromRecorder implements Recorder {
  readonly #registry = new Registry()
  readonly #m
  #bucketsS: readonly number[] = REQUEST_BUCKETS_S
  /** The per-route families in plain numbers (observe/route-tallies.ts), formatted at scrape time. */
  #routes = new Map<string, RouteTally>()
  #queues = new Map<string, QueueSeries>()
  /** sluice_percent, sluice_rollout_state and sluice_rollbacks_total in plain numbers, by `kind/name`. */
  readonly #live = new Map<string, TargetTally>()

  constructor(version: string) {
    collectDefaultMetrics({ register: this.#registry })
    this.#m = defineMetrics(this.#registry)
    const register = (family: ScrapedFamily): void => this.#registry.registerMetric(family as unknown as Parameters<Registry['registerMetric']>[0])
    registerRouteFamilies(register, () => this.#routes, () => this.#bucketsS)
    registerTargetFamilies(register, () => this.#live.values())
    this.#m.buildInfo.set({ version, node_version: process.version }, 1)
    for (const source of INTERNAL_ERROR_SOURCES) this.#m.internalErrors.inc({ source }, 0)
  }

  get contentType(): string {
    return this.#registry.contentType
  }

  render(): Promise<string> {
    return this.#registry.metrics()
  }

  watchGoals(source: () => readonly GoalSeries[]): void {
    registerGoalMetrics(this.#registry, source)
  }

  setTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): void {
    const recreated = this.#ensureBuckets(routes)
    const names = new Set(routes.map((r) => r.name))
    for (const name of this.#routes.keys()) if (!names.has(name)) this.#removeRoute(name)
    const qnames = new Set(queues.map((q) => q.name))
    for (const name of this.#queues.keys()) if (!qnames.has(name)) this.#removeQueue(name)
    const next = new Map<string, RouteTally>()
    for (const r of routes) next.set(r.name, this.#initRoute(r, this.#routes.get(r.name), recreated))
    this.#routes = next
    for (const q of queues) if (!this.#queues.has(q.name)) this.#queues.set(q.name, this.#initQueue(q))
  }

  outcome(o: Outcome): void {
    if (o.origin === 'worker') return // a worker's job result: analysis input, not a routing event
    if (o.kind === 'queue') return this.#job(o)
    // Unknown names are routes removed by a reload while their last requests were in flight:
    // recording them would resurrect series that setTargets just removed.
    const route = this.#routes.get(o.name)
    if (route === undefined) return
    const served = route[o.servedBy]
    served.observe(this.#bucketsS, seconds(o.durationMs))
    served.response(o.status)
    const decided = route[o.side]
    // An enum value this build does not know is skipped: it must not throw on the request path.
    if (o.error !== undefined) decided.error(o.error)
    decided.decision(o.reason)
  }

  percent(ref: TargetRef, percentBp: number): void {
    this.#target(ref).percentBp = percentBp
  }

  rolloutState(ref: TargetRef, state: RolloutState): void {
    this.#target(ref).state = state
  }

  rollback(ref: TargetRef, reason: string): void {
    this.#target(ref).rollback(reason)
  }

  /** A target's tally, created on first use (as prom-client created a series on first set). */
  #target(ref: TargetRef): TargetTally {
    const key = `${ref.kind}/${ref.name}`
    let t = this.#live.get(key)
    if (t === undefined) {
      t = new TargetTally(ref.kind, ref.name)
      this.#live.set(key, t)
    }
    return t
  }

  configReload(ok: boolean, at: number): void {
    this.#m.reloadOk.set(ok ? 1 : 0)
    if (ok) this.#m.reloadAt.set(at / 1000)
  }

  stateStoreUp(up: boolean): void {
    this.#m.storeUp.set(up ? 1 : 0)
  }

  leader(isLeader: boolean): void {
    this.#m.leader.set(isLeader ? 1 : 0)
  }

  queueBacklog(queue: string, jobs: number): void {
    this.#m.backlog.set({ queue }, jobs)
  }

  internalError(source: InternalErrorSource): void {
    this.#m.internalErrors.inc({ source })
  }

  #job(o: Outcome): void {
    const q = this.#queues.get(o.name)
    if (q === undefined) return
    // A fallback is two facts: the decided side failed the job, the other side routed it.
    if (o.fellBack) {
      q[o.side].failed.inc()
      q[o.servedBy].routed.inc()
    } else {
      // "routed" once a sink accepted the job; otherwise it went back to the source for a retry.
      ;(o.error === undefined && o.status < 300 ? q[o.servedBy].routed : q[o.servedBy].failed).inc()
    }
    const side = q[o.servedBy]
    side.duration.observe(seconds(o.durationMs))
  }

  /** Every maxP99Ms becomes a bucket bound so "share of requests under the SLO" is exact in PromQL. */
  #ensureBuckets(routes: readonly RouteConfig[]): boolean {
    const wanted = new Set(this.#bucketsS)
    for (const r of routes) {
      const p99 = r.rollout?.analysis?.maxP99Ms
      if (p99 !== undefined) wanted.add(p99 / 1000)
    }
    // Bounds are only ever added: dropping one would reset the histogram for no gain.
    if (wanted.size === this.#bucketsS.length) return false
    this.#bucketsS = [...wanted].sort((a, b) => a - b)
    // New bounds restart every route's histogram (a counter reset, which rate() handles), as a new
    // prom-client histogram did.
    return true
  }

  #initRoute(r: RouteConfig, prev: RouteTally | undefined, newBounds: boolean): RouteTally {
    if (prev === undefined) {
      this.#initRollout({ kind: 'route', name: r.name }, r.percentBp)
      return newRouteTally(this.#bucketsS.length)
    }
    if (newBounds) for (const side of SIDES) prev[side].resetDuration(this.#bucketsS.length)
    return prev
  }

  #initQueue(q: QueueConfig): QueueSeries {
    this.#initRollout({ kind: 'queue', name: q.name }, q.percentBp)
    this.#m.backlog.set({ queue: q.name }, 0)
    const side = (backend: Side): QueueSeries[Side] => {
      const children = childrenOf(this.#m.jobs, JOB_OUTCOMES, (outcome) => ({ queue: q.name, backend, outcome }))
      this.#m.jobDuration.zero({ queue: q.name, backend })
      return { ...children, duration: this.#m.jobDuration.labels({ queue: q.name, backend }) }
    }
    return { old: side('old'), new: side('new') }
  }

  /** A new target starts at its file percent in `manual` until control/ reports the live state. */
  #initRollout(ref: TargetRef, percentBp: number): void {
    this.percent(ref, percentBp)
    this.rolloutState(ref, 'manual')
  }

  #removeRoute(name: string): void {
    this.#removeRollout('route', name)
    this.#routes.delete(name)
  }

  #removeQueue(name: string): void {
    for (const backend of SIDES) {
      this.#m.jobDuration.remove({ queue: name, backend })
      for (const outcome of JOB_OUTCOMES) this.#m.jobs.remove({ queue: name, backend, outcome })
    }
    this.#m.backlog.remove({ queue: name })
    this.#removeRollout('queue', name)
    this.#queues.delete(name)
  }

  #removeRollout(kind: Kind, name: string): void {
    this.#live.delete(`${kind}/${name}`)
  }
}

/** Resolves one child per enum value and creates its series at 0. */
function childrenOf<K extends string, L extends string>(
  counter: Counter<L>, keys: readonly K[], labelsFor: (k: K) => Partial<Record<L, string>>,
): Record<K, CounterChild> {
  const out = {} as Record<K, CounterChild>
  for (const k of keys) {
    const child = counter.labels(labelsFor(k))
    child.inc(0)
    out[k] = child
  }
  return out
}

/** prom-client throws on a non-finite observation; the hot path must never throw. */
function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0
}

function defineMetrics(registry: Registry) {
  const registers = [registry]
  return {
    jobs: new Counter({ name: 'sluice_jobs_total', help: 'Queue jobs handed to a side, by outcome', labelNames: ['queue', 'backend', 'outcome'] as const, registers }),
    jobDuration: new Histogram({ name: 'sluice_job_route_duration_seconds', help: 'Time to route one job to its side', labelNames: ['queue', 'backend'] as const, buckets: JOB_BUCKETS_S, registers }),
    backlog: new Gauge({ name: 'sluice_queue_backlog', help: 'Jobs waiting in the source of a queue', labelNames: ['queue'] as const, registers }),
    reloadOk: new Gauge({ name: 'sluice_config_last_reload_successful', help: 'Whether the last configuration load or reload succeeded (1) or was refused (0)', registers }),
    reloadAt: new Gauge({ name: 'sluice_config_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful configuration load or reload', registers }),
    storeUp: new Gauge({ name: 'sluice_state_store_up', help: 'Whether the state store answers (1) or not (0)', registers }),
    internalErrors: new Counter({ name: 'sluice_internal_errors_total', help: 'Faults nothing handled (bugs), logged with their stack; sluice kept serving', labelNames: ['source'] as const, registers }),
    leader: new Gauge({ name: 'sluice_leader', help: 'Whether this replica runs the rollout controller (1) or not (0)', registers }),
    buildInfo: new Gauge({ name: 'sluice_build_info', help: 'Build information; the value is always 1', labelNames: ['version', 'node_version'] as const, registers }),
  }
}

/**
 * `sluice_goal_events_total{route,goal,backend}` and `sluice_exposed_users{route,backend}`, read
 * from the goal counts at scrape time: nothing is done per request or per event, every configured
 * route × goal × side is present (at 0) from the first scrape, and a route or goal removed by a
 * reload disappears with it.
 */
function registerGoalMetrics(registry: Registry, source: () => readonly GoalSeries[]): void {
  const registers = [registry]
  new Counter({
    name: 'sluice_goal_events_total',
    help: 'Goal events attributed to the side that served the user (duplicates included; ignored events not counted)',
    labelNames: ['route', 'goal', 'backend'] as const,
    registers,
    collect() {
      this.reset()
      for (const s of source()) {
        for (const [goal, events] of s.events) for (const backend of SIDES) this.inc({ route: s.route, goal, backend }, events[backend])
      }
    },
  })
  new Gauge({
    name: 'sluice_exposed_users',
    help: 'Distinct sticky keys served by each side of a route with goals, since its percent last changed',
    labelNames: ['route', 'backend'] as const,
    registers,
    collect() {
      this.reset()
      for (const s of source()) for (const backend of SIDES) this.set({ route: s.route, backend }, s.exposed[backend])
    },
  })
}
