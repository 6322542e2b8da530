import { SIDES, type AnalysisPolicy, type Side } from '../config/types.js'
import { ROLLOUT_STATES, type Kind, type RolloutState, type TargetRef } from '../core/types.js'
import { refKey, type LiveSnapshot } from '../state/store.js'
import type { Clock, Timer } from '../util/clock.js'
import type { GoalCounter } from './goals.js'
import type { GaugeTargets } from './live-gauges.js'
import type { Recorder, SideTotals, TargetTotals } from './recorder.js'

/**
 * The dashboard's time series (README "Dashboard and time series"): per route and queue, one point
 * every RESOLUTION_MS with the share, the state, and per side requests/s, error rate and p99, goal
 * conversion per side, and a slot for the shadow mismatch rate.
 *
 * Nothing is done per request: every RESOLUTION_MS the sampler reads the recorder's cumulative
 * counters and histograms (the same figures /metrics exports) and keeps the difference to the last
 * reading. Memory is bounded: each target has a fixed ring of typed-array columns, enough for
 * KEEP_MS, whatever the traffic.
 *
 * Scope: the traffic figures are this replica's own (with `state.store: redis` each replica keeps
 * its own series; the JSON says `"scope": "replica"`); percent and state come from the live state,
 * which every replica shares.
 */

export const SERIES_RESOLUTION_MS = 10_000
/** An hour, plus one point so that a full hour of intervals is always there. */
export const SERIES_KEEP_MS = 60 * 60_000

/** One side's figures over one interval; null when there was no request (no rate, no p99). */
export interface SidePoint {
  readonly rps: number
  readonly errorRate: number | null
  readonly p99Ms: number | null
}

export interface SeriesPoint {
  /** Epoch ms at the end of the interval. */
  readonly t: number
  readonly percentBp: number
  readonly state: RolloutState
  readonly old: SidePoint
  readonly new: SidePoint
  /** Goal name → conversion rate (0-1) per side since the percent last changed; routes with goals only. */
  readonly goals: Readonly<Record<string, Readonly<Record<Side, number | null>>>>
  /** Share of shadowed requests whose answers differed; null until shadow traffic exists. */
  readonly shadowMismatchRate: number | null
}

/** GET /api/routes/NAME/series (README "Dashboard and time series"). */
export interface SeriesJson {
  readonly resolution: string
  /** "replica": the traffic figures are this process's own (percent and state are the shared live state). */
  readonly scope: 'replica'
  readonly replica: string
  /** "redis": other replicas serve traffic too, and their figures are not in these points. */
  readonly store: 'memory' | 'redis'
  /** The analysis limits to draw (absent ones are not configured). */
  readonly limits: { readonly errorRate?: number; readonly p99Ms?: number; readonly errorRateVsOld?: number; readonly p99VsOld?: number }
  readonly points: ReadonlyArray<{
    readonly t: string
    readonly percent: number
    readonly state: RolloutState
    readonly old: SidePoint
    readonly new: SidePoint
    readonly goals: SeriesPoint['goals']
    readonly shadowMismatchRate: number | null
  }>
}

type SideColumns = Record<keyof SidePoint, Float64Array>

/**
 * A fixed-size ring of columns (typed arrays): pushing the (capacity+1)-th point overwrites the
 * oldest. Missing values are NaN inside and null outside.
 */
export class SeriesRing {
  readonly capacity: number
  readonly #t: Float64Array
  readonly #percentBp: Float64Array
  readonly #state: Uint8Array
  readonly #sides: Record<Side, SideColumns>
  readonly #shadow: Float64Array
  #goals = new Map<string, Record<Side, Float64Array>>()
  /** Index the next point goes to. */
  #next = 0
  #size = 0

  constructor(capacity: number) {
    this.capacity = capacity
    this.#t = new Float64Array(capacity)
    this.#percentBp = new Float64Array(capacity)
    this.#state = new Uint8Array(capacity)
    this.#shadow = new Float64Array(capacity)
    const side = (): SideColumns => ({ rps: new Float64Array(capacity), errorRate: new Float64Array(capacity), p99Ms: new Float64Array(capacity) })
    this.#sides = { old: side(), new: side() }
  }

  get size(): number {
    return this.#size
  }

  push(p: SeriesPoint): void {
    const i = this.#next
    this.#t[i] = p.t
    this.#percentBp[i] = p.percentBp
    this.#state[i] = ROLLOUT_STATES.indexOf(p.state)
    this.#shadow[i] = nanOf(p.shadowMismatchRate)
    for (const s of SIDES) {
      const c = this.#sides[s]
      c.rps[i] = p[s].rps
      c.errorRate[i] = nanOf(p[s].errorRate)
      c.p99Ms[i] = nanOf(p[s].p99Ms)
    }
    // Goals follow the config: a goal removed by a reload loses its column, a new one starts empty.
    const goals = new Map<string, Record<Side, Float64Array>>()
    for (const [name, rates] of Object.entries(p.goals)) {
      const cols = this.#goals.get(name) ?? { old: new Float64Array(this.capacity).fill(Number.NaN), new: new Float64Array(this.capacity).fill(Number.NaN) }
      for (const s of SIDES) cols[s][i] = nanOf(rates[s])
      goals.set(name, cols)
    }
    this.#goals = goals
    this.#next = (i + 1) % this.capacity
    if (this.#size < this.capacity) this.#size++
  }

  /** The points with t > since, oldest first. */
  points(since: number): SeriesPoint[] {
    const out: SeriesPoint[] = []
    const first = (this.#next - this.#size + this.capacity) % this.capacity
    for (let k = 0; k < this.#size; k++) {
      const i = (first + k) % this.capacity
      if (this.#t[i]! <= since) continue
      const side = (s: Side): SidePoint => {
        const c = this.#sides[s]
        return { rps: c.rps[i]!, errorRate: nullOf(c.errorRate[i]!), p99Ms: nullOf(c.p99Ms[i]!) }
      }
      const goals: Record<string, Record<Side, number | null>> = {}
      for (const [name, cols] of this.#goals) goals[name] = { old: nullOf(cols.old[i]!), new: nullOf(cols.new[i]!) }
      out.push({
        t: this.#t[i]!, percentBp: this.#percentBp[i]!, state: ROLLOUT_STATES[this.#state[i]!] ?? 'manual',
        old: side('old'), new: side('new'), goals, shadowMismatchRate: nullOf(this.#shadow[i]!),
      })
    }
    return out
  }
}

export interface SeriesDeps {
  readonly recorder: Pick<Recorder, 'totals'>
  readonly targets: () => GaugeTargets
  readonly snapshot: () => LiveSnapshot
  readonly goals?: Pick<GoalCounter, 'report'> | undefined
  readonly clock: Clock
  /** This replica's id and its state store's kind, named in the JSON. */
  readonly replica: string
  readonly store: 'memory' | 'redis'
  /** Default SERIES_RESOLUTION_MS; tests use less. */
  readonly resolutionMs?: number | undefined
  readonly keepMs?: number | undefined
}

/**
 * Every target's ring, fed by a timer every resolution. A target that left the config loses its
 * ring; one that arrives starts empty.
 */
export class SeriesBook {
  readonly resolutionMs: number
  readonly #deps: SeriesDeps
  readonly #capacity: number
  readonly #rings = new Map<string, SeriesRing>()
  /** The last cumulative reading per target and its time: each point is the difference to it. */
  #last = new Map<string, { at: number; totals: TargetTotals }>()
  #timer: Timer | undefined
  #busy = false

  constructor(deps: SeriesDeps) {
    this.#deps = deps
    this.resolutionMs = deps.resolutionMs ?? SERIES_RESOLUTION_MS
    this.#capacity = Math.ceil((deps.keepMs ?? SERIES_KEEP_MS) / this.resolutionMs) + 1
  }

  start(): void {
    this.#timer ??= this.#deps.clock.every(this.resolutionMs, () => { void this.sample() })
  }

  stop(): void {
    this.#timer?.stop()
    this.#timer = undefined
  }

  /** Take one point for every target (the timer calls this; overlapping calls are skipped). */
  async sample(): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    try {
      const totals = await this.#deps.recorder.totals()
      this.#add(totals, this.#deps.clock.now())
    } finally {
      this.#busy = false
    }
  }

  /** The points of the last `minutes` (oldest first); none yet for a target that was just added. */
  json(ref: TargetRef, minutes: number, analysis: AnalysisPolicy | undefined): SeriesJson {
    const ring = this.#rings.get(refKey(ref))
    const since = this.#deps.clock.now() - minutes * 60_000
    const points = (ring?.points(since) ?? []).map((p) => ({
      t: new Date(p.t).toISOString(), percent: p.percentBp / 100, state: p.state,
      old: p.old, new: p.new, goals: p.goals, shadowMismatchRate: p.shadowMismatchRate,
    }))
    return {
      resolution: `${this.resolutionMs / 1000}s`, scope: 'replica', replica: this.#deps.replica, store: this.#deps.store,
      limits: limitsOf(analysis), points,
    }
  }

  /** The longest history a request may ask for, in minutes. */
  get keepMinutes(): number {
    return Math.floor(((this.#capacity - 1) * this.resolutionMs) / 60_000)
  }

  #add(totals: readonly TargetTotals[], now: number): void {
    const { routes, queues } = this.#deps.targets()
    const byKey = new Map(totals.map((t) => [refKey(t), t]))
    const snapshot = this.#deps.snapshot()
    const keep = new Set<string>()
    const take = (kind: Kind, name: string, filePercentBp: number) => {
      const key = refKey({ kind, name })
      keep.add(key)
      const current = byKey.get(key)
      if (current === undefined) return
      const last = this.#last.get(key)
      this.#last.set(key, { at: now, totals: current })
      if (last === undefined) return // the first reading is the baseline
      const seconds = (now - last.at) / 1000
      if (!(seconds > 0)) return
      const live = snapshot.targets.get(key)
      let ring = this.#rings.get(key)
      if (ring === undefined) {
        ring = new SeriesRing(this.#capacity)
        this.#rings.set(key, ring)
      }
      ring.push({
        t: now, percentBp: live?.percentBp ?? filePercentBp, state: live?.state ?? 'manual',
        old: sidePoint(last.totals.old, current.old, seconds), new: sidePoint(last.totals.new, current.new, seconds),
        goals: kind === 'route' ? this.#conversion(name) : {},
        shadowMismatchRate: null,
      })
    }
    for (const r of routes) take('route', r.name, r.percentBp)
    for (const q of queues) take('queue', q.name, q.percentBp)
    for (const key of [...this.#rings.keys(), ...this.#last.keys()]) {
      if (!keep.has(key)) { this.#rings.delete(key); this.#last.delete(key) }
    }
  }

  #conversion(route: string): Record<string, Record<Side, number | null>> {
    // alpha only shapes the interval, which is not kept here.
    const report = this.#deps.goals?.report(route, 0.05)
    if (report === undefined) return {}
    const out: Record<string, Record<Side, number | null>> = {}
    for (const [name, g] of Object.entries(report)) {
      out[name] = { old: g.old.users > 0 ? g.old.rate : null, new: g.new.users > 0 ? g.new.rate : null }
    }
    return out
  }
}

function limitsOf(a: AnalysisPolicy | undefined): SeriesJson['limits'] {
  if (a === undefined) return {}
  const out: { errorRate?: number; p99Ms?: number; errorRateVsOld?: number; p99VsOld?: number } = {}
  if (a.maxErrorRate !== undefined) out.errorRate = a.maxErrorRate
  if (a.maxP99Ms !== undefined) out.p99Ms = a.maxP99Ms
  if (a.maxErrorRateVsOld !== undefined) out.errorRateVsOld = a.maxErrorRateVsOld
  if (a.maxP99VsOld !== undefined) out.p99VsOld = a.maxP99VsOld
  return out
}

/**
 * The interval between two cumulative readings. A counter that went down (a histogram recreated
 * by a reload that added a bucket bound) gives no p99 for that interval rather than a wrong one.
 */
export function sidePoint(before: SideTotals, after: SideTotals, seconds: number): SidePoint {
  const requests = Math.max(0, after.requests - before.requests)
  const errors = Math.max(0, after.errors - before.errors)
  const comparable = before.bounds === after.bounds || sameBounds(before.bounds, after.bounds)
  const delta = comparable ? after.buckets.map((c, i) => c - (before.buckets[i] ?? 0)) : undefined
  return {
    rps: round(requests / seconds),
    errorRate: requests > 0 ? round(errors / requests) : null,
    p99Ms: delta === undefined || delta.some((d) => d < 0) ? null : quantileMs(0.99, after.bounds, delta),
  }
}

/**
 * Prometheus' histogram_quantile on one interval's cumulative bucket counts (bounds in seconds,
 * +Inf last): linear inside the bucket that holds the rank; in +Inf, the highest finite bound.
 * The analysis limits (maxP99Ms) are bucket bounds, so "above the limit or not" is exact.
 */
export function quantileMs(q: number, bounds: readonly number[], cumulative: readonly number[]): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0
  if (!(total > 0)) return null
  const rank = q * total
  for (let i = 0; i < cumulative.length; i++) {
    if (cumulative[i]! >= rank) {
      if (i >= bounds.length) return round(bounds[bounds.length - 1]! * 1000)
      const lower = i === 0 ? 0 : bounds[i - 1]!
      const below = i === 0 ? 0 : cumulative[i - 1]!
      const inBucket = cumulative[i]! - below
      const fraction = inBucket > 0 ? (rank - below) / inBucket : 1
      return round((lower + (bounds[i]! - lower) * fraction) * 1000)
    }
  }
  return null
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Four significant digits: a chart needs no more, and the JSON stays short. */
function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x
}

function nanOf(x: number | null): number {
  return x === null ? Number.NaN : x
}

function nullOf(x: number): number | null {
  return Number.isNaN(x) ? null : x
}
