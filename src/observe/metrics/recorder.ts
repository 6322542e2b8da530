import { Registry, collectDefaultMetrics, type Counter } from 'prom-client'
import type { QueueConfig, RouteConfig, Side } from '../../config/types.js'
import type { RolloutState, TargetRef } from '../../core/types.js'
import type { Outcome } from '../events.js'
import type { GoalSeries } from '../goals.js'
import { SHADOW_RESULTS, type ShadowSeries } from '../shadow.js'
import {
  INTERNAL_ERROR_SOURCES, WEBHOOK_DELIVERY_RESULTS, defineMetrics,
  type AnalysisSeries, type InternalErrorSource, type TotalsReader,
  type WebhookDeliveryResult,
} from './definitions.js'
import { RolloutSeriesStore } from './rollout-series.js'
import { childrenOf, QueueSeriesStore } from './queue-series.js'
import { RouteSeriesStore } from './route-series.js'
import { registerAnalysisMetrics, registerGoalMetrics } from './scrape-families.js'
import { TimeSlice } from '../../util/time-slice.js'

export {
  INTERNAL_ERROR_SOURCES, ROLLBACK_REASONS, WEBHOOK_DELIVERY_RESULTS,
  type AnalysisSeries, type InternalErrorSource, type SideTotals, type TargetTotals, type TotalsReader,
  type WebhookDeliveryResult,
} from './definitions.js'

/**
 * Owns every `sluice_*` metric, on a private Registry (only observe/metrics/ imports prom-client).
 *
 * Guarantees: every known label combination of the configured targets exists from `setTargets` on
 * (at 0), so `increase()` alerts fire on the first event; series of targets that left the config are
 * removed; `outcome` never throws and allocates nothing (a route's counters are resolved by one Map
 * lookup, then numbers are incremented). Per-route and per-target series are plain numbers rendered
 * at scrape time (route-series.ts, rollout-series.ts): at 10,000 routes prom-client children cost
 * ~110 MB. Queues are few: their series are prom-client children (queue-series.ts). Leaves out:
 * deciding anything; it only records.
 */
export interface Recorder {
  /**
   * (Re)initialise every known label set at 0 for these routes/queues (start-up and every reload);
   * removes series of targets that disappeared. Existing series keep their values.
   */
  setTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): void
  /**
   * `setTargets` in two halves around a reload's swap, each in time slices so that 10,000 routes
   * never hold the event loop: `addTargets` before it (the new targets' series at 0, so the first
   * request of an added route is counted), `retainTargets` after it (the series of targets the
   * running config no longer has are removed).
   */
  addTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): Promise<void>
  retainTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): Promise<void>
  /** Subscribe this to the OutcomeBus. Outcomes of targets not passed to `setTargets` are dropped. */
  outcome(o: Outcome): void
  percent(ref: TargetRef, percentBp: number): void
  rolloutState(ref: TargetRef, state: RolloutState): void
  rollback(ref: TargetRef, reason: string): void
  /** `at` is epoch ms; the success timestamp only moves on success. */
  configReload(ok: boolean, at: number): void
  stateStoreUp(up: boolean): void
  leader(isLeader: boolean): void
  /** One OpenFeature evaluation of route NAME's flag that answered `variant` (admin plane, not the hot path). */
  flagEvaluation(route: string, variant: Side): void
  /** Jobs waiting in a queue's source. */
  queueBacklog(queue: string, jobs: number): void
  /** A fault nothing handled (a bug): the process policy logs it, counts it here and keeps serving. */
  internalError(source: InternalErrorSource): void
  /**
   * A metric check of `target` (a route's or queue's name) could not be judged this window (no data,
   * NaN, query error, unreachable).
   */
  metricCheckError(target: string, check: string): void
  /** One webhook attempt's result: delivered, retried (an attempt failed, another follows) or failed (given up). */
  webhookDelivery(result: WebhookDeliveryResult): void
  /** The goal series (scrape-families.ts), read from `source` at each scrape; call once. */
  watchGoals(source: () => readonly GoalSeries[]): void
  /** What the analysis judged last and its limits (scrape-families.ts), read at each scrape; call once. */
  watchAnalysis(source: () => readonly AnalysisSeries[]): void
  /**
   * Every target's cumulative figures per side, read from the metrics above (nothing extra is
   * counted per request): the dashboard's time series samples these every few seconds. A reader,
   * not one array: at 10,000 routes building every target's figures at once blocked the event
   * loop; the reader reads a route's figures when called for it (queues, which prom-client keeps,
   * are read when the reader is made).
   */
  totals(): Promise<TotalsReader>
  /** The shadow metric children of a route with a shadow block (README "Shadow traffic"); undefined otherwise. */
  shadowSeries(route: string): ShadowSeries | undefined
  render(): Promise<string>
  readonly contentType: string
}

type CounterChild = Counter.Internal

export function createRecorder(opts: { version?: string } = {}): Recorder {
  return new PromRecorder(opts.version ?? 'unknown')
}

class PromRecorder implements Recorder {
  readonly #registry = new Registry()
  readonly #m
  readonly #routes = new RouteSeriesStore()
  readonly #rollouts = new RolloutSeriesStore()
  readonly #queues: QueueSeriesStore
  #shadows = new Map<string, ShadowSeries>()
  /** `target\0check` → its sluice_metric_check_errors_total child, for every configured metric check. */
  #metricChecks = new Map<string, CounterChild>()

  constructor(version: string) {
    collectDefaultMetrics({ register: this.#registry })
    // Registration order is exposition order: the families stay where their prom-client metrics were.
    this.#routes.registerCounters(this.#registry)
    this.#rollouts.register(this.#registry)
    this.#m = defineMetrics(this.#registry)
    this.#routes.registerDuration(this.#registry)
    this.#queues = new QueueSeriesStore(this.#m)
    this.#m.buildInfo.set({ version, node_version: process.version }, 1)
    for (const source of INTERNAL_ERROR_SOURCES) this.#m.internalErrors.inc({ source }, 0)
    for (const result of WEBHOOK_DELIVERY_RESULTS) this.#m.webhookDeliveries.inc({ result }, 0)
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

  watchAnalysis(source: () => readonly AnalysisSeries[]): void {
    registerAnalysisMetrics(this.#registry, source)
  }

  async totals(): Promise<TotalsReader> {
    const queues = await this.#queues.totals()
    return (kind, name, previous) => kind === 'route' ? this.#routes.totals(name, previous) : queues(name, previous)
  }

  setTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): void {
    this.#routes.setBounds(this.#bucketsFor(routes))
    for (const r of routes) this.#ensureRoute(r)
    for (const q of queues) this.#ensureQueue(q)
    this.#addShadows(routes)
    const retain = this.#routes.retain()
    for (const r of routes) retain.keep(r.name)
    this.#dropRemoved(retain.sweep(), routes, queues)
  }

  async addTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): Promise<void> {
    const slice = new TimeSlice()
    this.#routes.setBounds(this.#bucketsFor(routes))
    for (const r of routes) {
      await slice.pass()
      this.#ensureRoute(r)
    }
    for (const q of queues) this.#ensureQueue(q)
    this.#addShadows(routes)
  }

  async retainTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): Promise<void> {
    const slice = new TimeSlice()
    const retain = this.#routes.retain()
    for (const r of routes) {
      // No await per route while the budget lasts: an outcome in between changes nothing here anyway.
      if (slice.spent) await slice.pass()
      retain.keep(r.name)
    }
    await slice.pass()
    this.#dropRemoved(retain.sweep(), routes, queues)
  }

  #ensureRoute(r: RouteConfig): void {
    if (this.#routes.ensure(r.name)) this.#initRollout({ kind: 'route', name: r.name }, r.percentBp)
  }

  #ensureQueue(q: QueueConfig): void {
    if (this.#queues.ensure(q.name)) this.#initRollout({ kind: 'queue', name: q.name }, q.percentBp)
  }

  /** What the configured targets no longer include: route series the store `removed`, queues, shadows, checks. */
  #dropRemoved(removed: readonly string[], routes: readonly RouteConfig[], queues: readonly QueueConfig[]): void {
    for (const name of removed) this.#rollouts.remove('route', name)
    for (const name of this.#queues.retain(new Set(queues.map((q) => q.name)))) this.#rollouts.remove('queue', name)
    this.#dropShadows(routes)
    this.#initMetricChecks(routes, queues)
  }

  shadowSeries(route: string): ShadowSeries | undefined {
    return this.#shadows.get(route)
  }

  /**
   * Series for every route with a shadow block, at 0 from the start (added before a reload's swap,
   * which hands them to the data plane); removed with the block.
   */
  #addShadows(routes: readonly RouteConfig[]): void {
    for (const r of routes) {
      const route = r.name
      if (r.shadow === undefined || this.#shadows.has(route)) continue
      this.#m.shadowDuration.zero({ route })
      this.#shadows.set(route, {
        results: childrenOf(this.#m.shadow, SHADOW_RESULTS, (result) => ({ route, result })),
        duration: this.#m.shadowDuration.labels({ route }),
      })
    }
  }

  #dropShadows(routes: readonly RouteConfig[]): void {
    if (this.#shadows.size === 0) return
    const wanted = new Set<string>()
    for (const r of routes) if (r.shadow !== undefined) wanted.add(r.name)
    for (const route of this.#shadows.keys()) {
      if (wanted.has(route)) continue
      for (const result of SHADOW_RESULTS) this.#m.shadow.remove({ route, result })
      this.#m.shadowDuration.remove({ route })
      this.#shadows.delete(route)
    }
  }

  metricCheckError(target: string, check: string): void {
    this.#metricChecks.get(`${target}\0${check}`)?.inc()
  }

  /** One child per configured check, at 0 from the start; checks that left the config lose their series. */
  #initMetricChecks(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): void {
    const next = new Map<string, CounterChild>()
    for (const t of targetsOf(routes, queues)) {
      for (const check of t.rollout?.analysis?.metrics ?? []) {
        const key = `${t.name}\0${check.name}`
        const child = this.#metricChecks.get(key)
          ?? this.#m.metricCheckErrors.labels({ route: t.name, check: check.name })
        child.inc(0)
        next.set(key, child)
      }
    }
    for (const key of this.#metricChecks.keys()) {
      if (next.has(key)) continue
      const [route, check] = key.split('\0') as [string, string]
      this.#m.metricCheckErrors.remove({ route, check })
    }
    this.#metricChecks = next
  }

  outcome(o: Outcome): void {
    if (o.origin === 'worker') return // a worker's job result: analysis input, not a routing event
    if (o.kind === 'queue') return this.#queues.job(o, seconds(o.durationMs))
    // Unknown names (routes removed by a reload while their last requests were in flight) are
    // dropped by the store: recording them would resurrect series that setTargets just removed.
    this.#routes.outcome(o, seconds(o.durationMs))
  }

  percent(ref: TargetRef, percentBp: number): void {
    this.#rollouts.percent(ref, percentBp)
  }

  rolloutState(ref: TargetRef, state: RolloutState): void {
    this.#rollouts.rolloutState(ref, state)
  }

  rollback(ref: TargetRef, reason: string): void {
    this.#rollouts.rollback(ref, reason)
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

  flagEvaluation(route: string, variant: Side): void {
    this.#routes.flagEvaluation(route, variant)
  }

  queueBacklog(queue: string, jobs: number): void {
    this.#queues.backlog(queue, jobs)
  }

  internalError(source: InternalErrorSource): void {
    this.#m.internalErrors.inc({ source })
  }

  webhookDelivery(result: WebhookDeliveryResult): void {
    this.#m.webhookDeliveries.inc({ result })
  }

  /** Every maxP99Ms becomes a bucket bound so "share of requests under the SLO" is exact in PromQL. */
  #bucketsFor(routes: readonly RouteConfig[]): readonly number[] {
    const current = this.#routes.bounds
    const wanted = new Set(current)
    for (const r of routes) {
      const p99 = r.rollout?.analysis?.maxP99Ms
      if (p99 !== undefined) wanted.add(p99 / 1000)
    }
    // Bounds are only ever added: dropping one would reset the histogram for no gain.
    return wanted.size === current.length ? current : [...wanted].sort((a, b) => a - b)
  }

  /** A new target starts at its file percent in `manual` until control/ reports the live state. */
  #initRollout(ref: TargetRef, percentBp: number): void {
    this.#rollouts.init(ref)
    this.percent(ref, percentBp)
    this.rolloutState(ref, 'manual')
  }

}

/** Counts must stay finite: a non-finite observation would poison the sums; the hot path must never throw. */
function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0
}

function* targetsOf(
  routes: readonly RouteConfig[], queues: readonly QueueConfig[],
): Generator<RouteConfig | QueueConfig> {
  yield* routes
  yield* queues
}
