import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { SIDES, type QueueConfig, type RouteConfig, type Side } from '../config/types.js'
import { DECISION_REASONS, ROLLOUT_STATES, type DecisionReason, type Kind, type RolloutState, type TargetRef } from '../core/types.js'
import { UPSTREAM_ERROR_REASONS, type Outcome, type UpstreamErrorReason } from './events.js'
import type { GoalSeries } from './goals.js'
import { SHADOW_RESULTS, type ShadowSeries } from './shadow.js'

/**
 * Owns every `sluice_*` metric (the only module that imports prom-client, on a private Registry).
 *
 * Guarantees: every known label combination of the configured targets exists from `setTargets` on
 * (at 0), so `increase()` alerts fire on the first event; series of targets that left the config are
 * removed; `outcome` never throws and allocates no label objects (children are resolved once per
 * route × side, and once per status code). Leaves out: deciding anything; it only records.
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
  /** One OpenFeature evaluation of route NAME's flag that answered `variant` (admin plane, not the hot path). */
  flagEvaluation(route: string, variant: Side): void
  /** Jobs waiting in a queue's source. */
  queueBacklog(queue: string, jobs: number): void
  /** A fault nothing handled (a bug): the process policy logs it, counts it here and keeps serving. */
  internalError(source: InternalErrorSource): void
  /** A metric check of `target` (a route's or queue's name) could not be judged this window (no data, NaN, query error, unreachable). */
  metricCheckError(target: string, check: string): void
  /** One webhook attempt's result: delivered, retried (an attempt failed, another follows) or failed (given up). */
  webhookDelivery(result: WebhookDeliveryResult): void
  /** The goal series (registerGoalMetrics below), read from `source` at each scrape; call once. */
  watchGoals(source: () => readonly GoalSeries[]): void
  /** What the analysis judged last and its limits (registerAnalysisMetrics below), read at each scrape; call once. */
  watchAnalysis(source: () => readonly AnalysisSeries[]): void
  /**
   * Every target's cumulative figures per side, read from the metrics above (nothing extra is
   * counted per request): the dashboard's time series samples these every few seconds.
   */
  totals(): Promise<TargetTotals[]>
  /** The shadow metric children of a route with a shadow block (README "Shadow traffic"); undefined otherwise. */
  shadowSeries(route: string): ShadowSeries | undefined
  render(): Promise<string>
  readonly contentType: string
}

/** Proxy latency buckets in seconds: fine below 5 ms (proxy overhead), up to 60 s (slow backends, long uploads). */
const REQUEST_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
/** Routing a job is a publish to a broker: much faster than a proxied request. */
/** A shadow call's time: new's answer, read to its end (or to maxBodyBytes). */
const SHADOW_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
const JOB_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
export const ROLLBACK_REASONS = ['error_rate', 'error_rate_vs_old', 'p99', 'p99_vs_old', 'mismatch_rate', 'goal', 'metric', 'manual'] as const
const JOB_OUTCOMES = ['routed', 'failed'] as const
/** Where an unhandled fault surfaced: a thrown exception nothing caught, or a rejected promise nobody awaited. */
export const INTERNAL_ERROR_SOURCES = ['uncaught_exception', 'unhandled_rejection'] as const
export type InternalErrorSource = (typeof INTERNAL_ERROR_SOURCES)[number]
export const WEBHOOK_DELIVERY_RESULTS = ['delivered', 'retried', 'failed'] as const
export type WebhookDeliveryResult = (typeof WEBHOOK_DELIVERY_RESULTS)[number]
/** nginx's "client closed request": the client went away before a response was sent (Outcome.status 0). */
const CLIENT_CLOSED_CODE = '499'
const DURATION_METRIC = 'sluice_request_duration_seconds'

/** One side's cumulative figures since start (or since its histogram was recreated). */
export interface SideTotals {
  /** Requests served (routes) or jobs handed over (queues). */
  requests: number
  /** Routes: 5xx answers and 499 (client gone), as analysis counts them; queues: failed jobs. */
  errors: number
  /** Cumulative latency counts per bucket, `bounds` (seconds, ascending) then +Inf last. */
  readonly buckets: number[]
  readonly bounds: readonly number[]
}

export interface TargetTotals {
  readonly kind: Kind
  readonly name: string
  readonly old: SideTotals
  readonly new: SideTotals
}

/** The last judged window of one target and its configured limits (sluice_analysis_* gauges). */
export interface AnalysisSeries {
  readonly ref: TargetRef
  /** undefined until a window was judged. */
  readonly judged: Readonly<Record<Side, { readonly requests: number; readonly errorRate: number; readonly p99Ms: number | null }>> | undefined
  /** Check label (error_rate, error_rate_vs_old, p99, p99_vs_old) → limit; p99 in seconds; empty without an analysis. */
  readonly limits: Readonly<Record<string, number>>
  /** The rollout's step interval, and (once a step began) when the current one did, in Unix seconds. */
  readonly intervalSeconds: number
  readonly stepSinceSeconds: number | undefined
}

type CounterChild = Counter.Internal
type HistogramChild = Histogram.Internal<string>

interface SideSeries {
  readonly duration: HistogramChild
  /** Status code → requests_total child; filled on first sight of a code. */
  readonly codes: Map<number, CounterChild>
  readonly errors: Readonly<Record<UpstreamErrorReason, CounterChild>>
  readonly decisions: Readonly<Record<DecisionReason, CounterChild>>
  readonly flagEvaluations: CounterChild
}
type RouteSeries = Readonly<Record<Side, SideSeries>>
type QueueSeries = Readonly<Record<Side, { readonly routed: CounterChild; readonly failed: CounterChild; readonly duration: HistogramChild }>>

export function createRecorder(opts: { version?: string } = {}): Recorder {
  return new PromRecorder(opts.version ?? 'unknown')
}

class PromRecorder implements Recorder {
  readonly #registry = new Registry()
  readonly #m
  #duration: Histogram<'route' | 'backend'>
  #bucketsS: readonly number[] = REQUEST_BUCKETS_S
  #routes = new Map<string, RouteSeries>()
  #queues = new Map<string, QueueSeries>()
  /** What sluice_percent and sluice_rollout_state were last set to, by `kind/name`. */
  readonly #live = new Map<string, { percentBp: number | undefined; state: RolloutState | undefined }>()
  #shadows = new Map<string, ShadowSeries>()
  /** `target\0check` → its sluice_metric_check_errors_total child, for every configured metric check. */
  #metricChecks = new Map<string, CounterChild>()

  constructor(version: string) {
    collectDefaultMetrics({ register: this.#registry })
    this.#m = defineMetrics(this.#registry)
    this.#duration = this.#newDurationHistogram()
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

  async totals(): Promise<TargetTotals[]> {
    const routes = new Map<string, Record<Side, SideTotals>>()
    const queues = new Map<string, Record<Side, SideTotals>>()
    const sideOf = (map: Map<string, Record<Side, SideTotals>>, name: unknown, backend: unknown, bounds: readonly number[]): SideTotals | undefined => {
      if (typeof name !== 'string' || (backend !== 'old' && backend !== 'new')) return undefined
      let pair = map.get(name)
      if (pair === undefined) {
        pair = { old: emptyTotals(bounds), new: emptyTotals(bounds) }
        map.set(name, pair)
      }
      return pair[backend]
    }
    const bounds = this.#bucketsS
    for (const v of (await this.#m.requests.get()).values) {
      const side = this.#routes.has(String(v.labels.route)) ? sideOf(routes, v.labels.route, v.labels.backend, bounds) : undefined
      if (side === undefined) continue
      side.requests += v.value
      const code = Number(v.labels.code)
      if (code >= 500 || String(code) === CLIENT_CLOSED_CODE) side.errors += v.value
    }
    addBuckets(await this.#duration.get(), bounds, (l) => this.#routes.has(String(l.route)) ? sideOf(routes, l.route, l.backend, bounds) : undefined)
    for (const v of (await this.#m.jobs.get()).values) {
      const side = this.#queues.has(String(v.labels.queue)) ? sideOf(queues, v.labels.queue, v.labels.backend, JOB_BUCKETS_S) : undefined
      if (side === undefined) continue
      side.requests += v.value
      if (v.labels.outcome === 'failed') side.errors += v.value
    }
    addBuckets(await this.#m.jobDuration.get(), JOB_BUCKETS_S, (l) => this.#queues.has(String(l.queue)) ? sideOf(queues, l.queue, l.backend, JOB_BUCKETS_S) : undefined)
    return [
      ...[...routes].map(([name, s]) => ({ kind: 'route' as const, name, ...s })),
      ...[...queues].map(([name, s]) => ({ kind: 'queue' as const, name, ...s })),
    ]
  }

  setTargets(routes: readonly RouteConfig[], queues: readonly QueueConfig[]): void {
    const recreated = this.#ensureBuckets(routes)
    const names = new Set(routes.map((r) => r.name))
    for (const [name, series] of this.#routes) if (!names.has(name)) this.#removeRoute(name, series)
    const qnames = new Set(queues.map((q) => q.name))
    for (const name of this.#queues.keys()) if (!qnames.has(name)) this.#removeQueue(name)
    const next = new Map<string, RouteSeries>()
    for (const r of routes) next.set(r.name, this.#initRoute(r, this.#routes.get(r.name), recreated))
    this.#routes = next
    for (const q of queues) if (!this.#queues.has(q.name)) this.#queues.set(q.name, this.#initQueue(q))
    this.#setShadows(routes)
    this.#initMetricChecks([...routes, ...queues])
  }

  shadowSeries(route: string): ShadowSeries | undefined {
    return this.#shadows.get(route)
  }

  /** Series for every route with a shadow block, at 0 from the start; removed with the block. */
  #setShadows(routes: readonly RouteConfig[]): void {
    const wanted = new Set(routes.filter((r) => r.shadow !== undefined).map((r) => r.name))
    for (const route of this.#shadows.keys()) {
      if (wanted.has(route)) continue
      for (const result of SHADOW_RESULTS) this.#m.shadow.remove({ route, result })
      this.#m.shadowDuration.remove({ route })
      this.#shadows.delete(route)
    }
    for (const route of wanted) {
      if (this.#shadows.has(route)) continue
      this.#m.shadowDuration.zero({ route })
      this.#shadows.set(route, {
        results: childrenOf(this.#m.shadow, SHADOW_RESULTS, (result) => ({ route, result })),
        duration: this.#m.shadowDuration.labels({ route }),
      })
    }
  }

  metricCheckError(target: string, check: string): void {
    this.#metricChecks.get(`${target}\0${check}`)?.inc()
  }

  /** One child per configured check, at 0 from the start; checks that left the config lose their series. */
  #initMetricChecks(targets: ReadonlyArray<RouteConfig | QueueConfig>): void {
    const next = new Map<string, CounterChild>()
    for (const t of targets) {
      for (const check of t.rollout?.analysis?.metrics ?? []) {
        const key = `${t.name}\0${check.name}`
        const child = this.#metricChecks.get(key) ?? this.#m.metricCheckErrors.labels({ route: t.name, check: check.name })
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
    if (o.kind === 'queue') return this.#job(o)
    // Unknown names are routes removed by a reload while their last requests were in flight:
    // recording them would resurrect series that setTargets just removed.
    const route = this.#routes.get(o.name)
    if (route === undefined) return
    const served = route[o.servedBy]
    served.duration.observe(seconds(o.durationMs))
    ;(served.codes.get(o.status) ?? this.#addCode(o.name, o.servedBy, o.status, served.codes)).inc()
    const decided = route[o.side]
    // `?.`: an enum value this build does not know must not throw on the request path.
    if (o.error !== undefined) decided.errors[o.error]?.inc()
    decided.decisions[o.reason]?.inc()
  }

  percent(ref: TargetRef, percentBp: number): void {
    const last = this.#lastLive(ref)
    if (last.percentBp === percentBp) return
    last.percentBp = percentBp
    this.#m.percent.set({ kind: ref.kind, name: ref.name }, percentBp / 100)
  }

  rolloutState(ref: TargetRef, state: RolloutState): void {
    const last = this.#lastLive(ref)
    if (last.state === state) return
    last.state = state
    for (const s of ROLLOUT_STATES) this.#m.state.set({ kind: ref.kind, name: ref.name, state: s }, s === state ? 1 : 0)
  }

  /**
   * The live gauges are set from the whole live state on every change (observe/live-gauges.ts):
   * at 10,000 routes, setting 70,000 series to the values they already have took most of a refresh.
   */
  #lastLive(ref: TargetRef): { percentBp: number | undefined; state: RolloutState | undefined } {
    const key = `${ref.kind}/${ref.name}`
    let last = this.#live.get(key)
    if (last === undefined) {
      last = { percentBp: undefined, state: undefined }
      this.#live.set(key, last)
    }
    return last
  }

  rollback(ref: TargetRef, reason: string): void {
    this.#m.rollbacks.inc({ kind: ref.kind, name: ref.name, reason })
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
    this.#routes.get(route)?.[variant].flagEvaluations.inc()
  }

  queueBacklog(queue: string, jobs: number): void {
    this.#m.backlog.set({ queue }, jobs)
  }

  internalError(source: InternalErrorSource): void {
    this.#m.internalErrors.inc({ source })
  }

  webhookDelivery(result: WebhookDeliveryResult): void {
    this.#m.webhookDeliveries.inc({ result })
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

  #addCode(route: string, backend: Side, status: number, codes: Map<number, CounterChild>): CounterChild {
    const child = this.#m.requests.labels(route, backend, codeLabel(status))
    codes.set(status, child)
    return child
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
    // prom-client cannot change the buckets of a live histogram; a new one is a counter reset, which rate() handles.
    this.#registry.removeSingleMetric(DURATION_METRIC)
    this.#duration = this.#newDurationHistogram()
    return true
  }

  #newDurationHistogram(): Histogram<'route' | 'backend'> {
    return new Histogram({
      name: DURATION_METRIC,
      help: 'Time from the first request byte to the last response byte, per route and the side that served it',
      labelNames: ['route', 'backend'] as const,
      buckets: [...this.#bucketsS],
      registers: [this.#registry],
    })
  }

  #initRoute(r: RouteConfig, prev: RouteSeries | undefined, zeroDuration: boolean): RouteSeries {
    // A route kept by a reload keeps its children: they are still registered, at their values.
    if (prev !== undefined && !zeroDuration) return prev
    const ref: TargetRef = { kind: 'route', name: r.name }
    if (prev === undefined) this.#initRollout(ref, r.percentBp)
    const side = (backend: Side): SideSeries => {
      const labels = { route: r.name, backend }
      if (prev === undefined || zeroDuration) this.#duration.zero(labels)
      const codes = prev?.[backend].codes ?? new Map<number, CounterChild>()
      if (prev === undefined) this.#addCode(r.name, backend, 200, codes).inc(0)
      return {
        duration: this.#duration.labels(labels),
        codes,
        errors: childrenOf(this.#m.upstreamErrors, UPSTREAM_ERROR_REASONS, (reason) => ({ route: r.name, backend, reason })),
        decisions: childrenOf(this.#m.decisions, DECISION_REASONS, (reason) => ({ route: r.name, backend, reason })),
        flagEvaluations: zeroed(this.#m.flagEvaluations.labels({ route: r.name, variant: backend })),
      }
    }
    return { old: side('old'), new: side('new') }
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
    for (const reason of ROLLBACK_REASONS) this.#m.rollbacks.inc({ kind: ref.kind, name: ref.name, reason }, 0)
  }

  #removeRoute(name: string, series: RouteSeries): void {
    for (const backend of SIDES) {
      this.#duration.remove({ route: name, backend })
      for (const status of series[backend].codes.keys()) this.#m.requests.remove({ route: name, backend, code: codeLabel(status) })
      for (const reason of UPSTREAM_ERROR_REASONS) this.#m.upstreamErrors.remove({ route: name, backend, reason })
      for (const reason of DECISION_REASONS) this.#m.decisions.remove({ route: name, backend, reason })
      this.#m.flagEvaluations.remove({ route: name, variant: backend })
    }
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
    this.#m.percent.remove({ kind, name })
    for (const state of ROLLOUT_STATES) this.#m.state.remove({ kind, name, state })
    for (const reason of ROLLBACK_REASONS) this.#m.rollbacks.remove({ kind, name, reason })
  }
}

function emptyTotals(bounds: readonly number[]): SideTotals {
  return { requests: 0, errors: 0, buckets: new Array<number>(bounds.length + 1).fill(0), bounds }
}

/** Adds a histogram's `_bucket` values (cumulative per `le`) into the sides `sideOf` finds. */
function addBuckets(
  metric: { values: ReadonlyArray<{ value: number; labels: Partial<Record<string, string | number>>; metricName?: string }> },
  bounds: readonly number[], sideOf: (labels: Partial<Record<string, string | number>>) => SideTotals | undefined,
): void {
  for (const v of metric.values) {
    if (v.metricName === undefined || !v.metricName.endsWith('_bucket')) continue
    const le = v.labels.le
    const i = le === '+Inf' ? bounds.length : bounds.indexOf(Number(le))
    if (i === -1) continue
    const side = sideOf(v.labels)
    if (side !== undefined && side.bounds === bounds) side.buckets[i] = v.value
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

function zeroed(child: CounterChild): CounterChild {
  child.inc(0)
  return child
}

function codeLabel(status: number): string {
  return status === 0 ? CLIENT_CLOSED_CODE : String(status)
}

/** prom-client throws on a non-finite observation; the hot path must never throw. */
function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0
}

function defineMetrics(registry: Registry) {
  const registers = [registry]
  return {
    requests: new Counter({ name: 'sluice_requests_total', help: 'Client requests by route, the side that served them and the status sent (499: client went away first)', labelNames: ['route', 'backend', 'code'] as const, registers }),
    upstreamErrors: new Counter({ name: 'sluice_upstream_errors_total', help: 'Transport failures of the decided side, by reason', labelNames: ['route', 'backend', 'reason'] as const, registers }),
    decisions: new Counter({ name: 'sluice_decisions_total', help: 'Routing decisions by route, chosen side and why', labelNames: ['route', 'backend', 'reason'] as const, registers }),
    flagEvaluations: new Counter({ name: 'sluice_flag_evaluations_total', help: 'OpenFeature (OFREP) evaluations of a route\'s flag on the admin plane, by the variant answered', labelNames: ['route', 'variant'] as const, registers }),
    percent: new Gauge({ name: 'sluice_percent', help: 'Current share of traffic or jobs sent to the new side, in percent (0-100)', labelNames: ['kind', 'name'] as const, registers }),
    state: new Gauge({ name: 'sluice_rollout_state', help: 'Rollout state of a route or queue: 1 for the current state, 0 for the others', labelNames: ['kind', 'name', 'state'] as const, registers }),
    rollbacks: new Counter({ name: 'sluice_rollbacks_total', help: 'Rollbacks of a route or queue to the old side, by reason', labelNames: ['kind', 'name', 'reason'] as const, registers }),
    jobs: new Counter({ name: 'sluice_jobs_total', help: 'Queue jobs handed to a side, by outcome', labelNames: ['queue', 'backend', 'outcome'] as const, registers }),
    jobDuration: new Histogram({ name: 'sluice_job_route_duration_seconds', help: 'Time to route one job to its side', labelNames: ['queue', 'backend'] as const, buckets: JOB_BUCKETS_S, registers }),
    backlog: new Gauge({ name: 'sluice_queue_backlog', help: 'Jobs waiting in the source of a queue', labelNames: ['queue'] as const, registers }),
    reloadOk: new Gauge({ name: 'sluice_config_last_reload_successful', help: 'Whether the last configuration load or reload succeeded (1) or was refused (0)', registers }),
    reloadAt: new Gauge({ name: 'sluice_config_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful configuration load or reload', registers }),
    storeUp: new Gauge({ name: 'sluice_state_store_up', help: 'Whether the state store answers (1) or not (0)', registers }),
    webhookDeliveries: new Counter({ name: 'sluice_webhook_deliveries_total', help: 'Webhook delivery attempts by result (delivered, retried, failed after all attempts)', labelNames: ['result'] as const, registers }),
    internalErrors: new Counter({ name: 'sluice_internal_errors_total', help: 'Faults nothing handled (bugs), logged with their stack; sluice kept serving', labelNames: ['source'] as const, registers }),
    metricCheckErrors: new Counter({ name: 'sluice_metric_check_errors_total', help: 'Analysis windows in which a Prometheus metric check had no value (no data, NaN, query error, Prometheus unreachable): judged inconclusive, never failed', labelNames: ['route', 'check'] as const, registers }),
    leader: new Gauge({ name: 'sluice_leader', help: 'Whether this replica runs the rollout controller (1) or not (0)', registers }),
    shadow: new Counter({ name: 'sluice_shadow_total', help: 'Shadow calls to the new side by result: match, mismatch (answer differs from old), error (new failed), skipped (over maxConcurrent or maxBodyBytes, or old unfinished)', labelNames: ['route', 'result'] as const, registers }),
    shadowDuration: new Histogram({ name: 'sluice_shadow_duration_seconds', help: "Time of a shadow call, until new's answer was read", labelNames: ['route'] as const, buckets: SHADOW_BUCKETS_S, registers }),
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

/**
 * What the analysis judged in the last window of each target with a rollout analysis, fleet-wide
 * (from the live state, so every replica exports the leader's verdict), and its configured limits:
 * Grafana draws them without recomputing anything. Read at scrape time; a target without a judged
 * window yet has its limits only.
 */
function registerAnalysisMetrics(registry: Registry, source: () => readonly AnalysisSeries[]): void {
  const registers = [registry]
  const judged = (name: string, help: string, value: (s: { requests: number; errorRate: number; p99Ms: number | null }) => number | null) => new Gauge({
    name, help, labelNames: ['kind', 'name', 'backend'] as const, registers,
    collect() {
      this.reset()
      for (const a of source()) {
        if (a.judged === undefined) continue
        for (const backend of SIDES) {
          const v = value(a.judged[backend])
          if (v !== null) this.set({ kind: a.ref.kind, name: a.ref.name, backend }, v)
        }
      }
    },
  })
  judged('sluice_analysis_requests', 'Requests (or jobs) of each side in the last window the rollout analysis judged', (s) => s.requests)
  judged('sluice_analysis_error_rate', 'Error rate (0-1) of each side in the last window the rollout analysis judged', (s) => s.errorRate)
  judged('sluice_analysis_p99_seconds', '99th percentile latency of each side in the last window the rollout analysis judged', (s) => s.p99Ms === null ? null : s.p99Ms / 1000)
  new Gauge({
    name: 'sluice_rollout_step_interval_seconds',
    help: 'The configured time between rollout steps (with the step start, the "rollout stalled" alert needs it)',
    labelNames: ['kind', 'name'] as const,
    registers,
    collect() {
      this.reset()
      for (const a of source()) this.set({ kind: a.ref.kind, name: a.ref.name }, a.intervalSeconds)
    },
  })
  new Gauge({
    name: 'sluice_rollout_step_start_timestamp_seconds',
    help: 'Unix time the current rollout step began',
    labelNames: ['kind', 'name'] as const,
    registers,
    collect() {
      this.reset()
      for (const a of source()) if (a.stepSinceSeconds !== undefined) this.set({ kind: a.ref.kind, name: a.ref.name }, a.stepSinceSeconds)
    },
  })
  new Gauge({
    name: 'sluice_analysis_limit',
    help: 'Configured rollout analysis limits by check: error_rate (0-1), error_rate_vs_old (factor), p99 (seconds), p99_vs_old (factor)',
    labelNames: ['kind', 'name', 'check'] as const,
    registers,
    collect() {
      this.reset()
      for (const a of source()) for (const [check, v] of Object.entries(a.limits)) this.set({ kind: a.ref.kind, name: a.ref.name, check }, v)
    },
  })
}
