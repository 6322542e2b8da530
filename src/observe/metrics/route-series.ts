import type { Registry } from 'prom-client'
import { SIDES, type Side } from '../../config/types.js'
import { DECISION_REASONS } from '../../core/types.js'
import { UPSTREAM_ERROR_REASONS, type Outcome } from '../events.js'
import {
  CLIENT_CLOSED_CODE, FAMILIES, REQUEST_BUCKETS_S, type SideTotals, type TargetTotals,
} from './definitions.js'
import { registerFamily, type ExpositionValue } from './exposition.js'

/*
 * One side's counters in one Float64Array (prom-client children cost ~3 KB per route side; this
 * costs ~250 bytes): the flag evaluations, one counter per upstream error reason and per decision
 * reason, then the duration histogram's sum, count and per-bound (not cumulative) bucket counts.
 */
const FLAG = 0
const ERRORS = 1
const DECISIONS = ERRORS + UPSTREAM_ERROR_REASONS.length
const DURATION_SUM = DECISIONS + DECISION_REASONS.length
const DURATION_COUNT = DURATION_SUM + 1
const BUCKETS = DURATION_COUNT + 1
const ERROR_INDEX = new Map<string, number>(UPSTREAM_ERROR_REASONS.map((r, i) => [r, ERRORS + i]))
const DECISION_INDEX = new Map<string, number>(DECISION_REASONS.map((r, i) => [r, DECISIONS + i]))

/** A status code's request count; a mutable cell so the hot path increments without a Map write. */
interface CodeCount { n: number }

class SideCounts {
  counts: Float64Array
  /** Status code (0 = client gone) → requests; 200 from the start, other codes on first sight. */
  readonly codes = new Map<number, CodeCount>([[200, { n: 0 }]])

  constructor(bucketCount: number) {
    this.counts = new Float64Array(BUCKETS + bucketCount)
  }

  /** New bounds: the histogram restarts at 0 (a counter reset, which rate() handles); the counters stay. */
  resetDuration(bucketCount: number): void {
    const next = new Float64Array(BUCKETS + bucketCount)
    next.set(this.counts.subarray(0, DURATION_SUM))
    this.counts = next
  }
}

/**
 * One route's series: sluice_requests_total, _upstream_errors_total, _decisions_total,
 * _flag_evaluations_total and the duration histogram.
 */
export interface RouteCounts extends Readonly<Record<Side, SideCounts>> {
  /** The last `setRoutes` that named this route (the ones it did not name are dropped). */
  seen: number
}

/** What a `setRoutes` changed: a reload that edits percents adds and removes none. */
export interface RouteChanges {
  readonly added: readonly string[]
  readonly removed: readonly string[]
}

/**
 * Every configured route's per-request series as plain numbers, rendered at scrape time into the
 * same exposition the prom-client metrics of those names printed (label order, series present at 0
 * from `setRoutes` on, removed with their route). The request path resolves a route once (one Map
 * lookup) and increments numbers: nothing is allocated per request.
 */
export class RouteSeriesStore {
  #routes = new Map<string, RouteCounts>()
  #bounds: readonly number[] = REQUEST_BUCKETS_S
  /** Counts the `retain` passes: a route's `seen` says which pass named it last. */
  #generation = 0
  #zero: TargetTotals | undefined

  /** The duration histogram's bucket bounds in seconds, ascending; +Inf is implicit. */
  get bounds(): readonly number[] {
    return this.#bounds
  }

  names(): IterableIterator<string> {
    return this.#routes.keys()
  }

  has(route: string): boolean {
    return this.#routes.has(route)
  }

  /**
   * Keeps the series of routes still configured (at their values), adds the new ones at 0, drops
   * the others: `setBounds`, `ensure` of every name, then `retain` of every name.
   */
  setRoutes(names: Iterable<string>, bounds: readonly number[]): RouteChanges {
    this.setBounds(bounds)
    const added: string[] = []
    for (const name of names) if (this.ensure(name)) added.push(name)
    const retain = this.retain()
    for (const name of names) retain.keep(name)
    return { added, removed: retain.sweep() }
  }

  /** `bounds` (only ever grown by the caller) restarts every duration histogram when it changed. */
  setBounds(bounds: readonly number[]): void {
    if (bounds.length === this.#bounds.length && bounds.every((b, i) => b === this.#bounds[i])) return
    this.#bounds = bounds
    for (const route of this.#routes.values()) for (const side of SIDES) route[side].resetDuration(bounds.length)
  }

  /** Adds the route's series at 0 unless it has them; true when it added them. */
  ensure(name: string): boolean {
    if (this.#routes.has(name)) return false
    const bucketCount = this.#bounds.length
    const sides = { old: new SideCounts(bucketCount), new: new SideCounts(bucketCount) }
    this.#routes.set(name, { ...sides, seen: this.#generation })
    return true
  }

  /**
   * Drops the routes not named: `keep` each route still configured (in as many slices as the caller
   * likes), then `sweep` removes the others and returns their names. At 10,000 routes this walks the
   * names and allocates only for the routes removed.
   */
  retain(): { keep(name: string): void; sweep(): string[] } {
    const generation = ++this.#generation
    const routes = this.#routes
    return {
      keep(name) {
        const route = routes.get(name)
        if (route !== undefined) route.seen = generation
      },
      sweep() {
        const removed: string[] = []
        for (const [name, route] of routes) {
          if (route.seen === generation) continue
          routes.delete(name)
          removed.push(name)
        }
        return removed
      },
    }
  }

  /** One proxied request's outcome; routes not configured (removed while in flight) are dropped. */
  outcome(o: Outcome, durationS: number): void {
    const route = this.#routes.get(o.name)
    if (route === undefined) return
    const served = route[o.servedBy]
    observe(served.counts, this.#bounds, durationS)
    const code = served.codes.get(o.status)
    if (code === undefined) served.codes.set(o.status, { n: 1 })
    else code.n++
    const decided = route[o.side].counts
    // An enum value this build does not know is not counted (and must not throw on the request path).
    if (o.error !== undefined) {
      const i = ERROR_INDEX.get(o.error)
      if (i !== undefined) decided[i]!++
    }
    const d = DECISION_INDEX.get(o.reason)
    if (d !== undefined) decided[d]!++
  }

  flagEvaluation(route: string, variant: Side): void {
    const r = this.#routes.get(route)
    if (r !== undefined) r[variant].counts[FLAG]!++
  }

  /**
   * One route's cumulative figures per side, read now (the dashboard's time series sample these,
   * one route at a time); undefined for a route not configured. `previous` itself when nothing
   * changed since it was read: an idle route allocates nothing.
   */
  totals(name: string, previous?: TargetTotals): TargetTotals | undefined {
    const r = this.#routes.get(name)
    if (r === undefined) return undefined
    const bounds = this.#bounds
    if (previous !== undefined && unchanged(r.old, previous.old, bounds) && unchanged(r.new, previous.new, bounds)) {
      return previous
    }
    // A route that never served shares one frozen reading: most of 10,000 routes keep no figures of their own.
    if (untouched(r.old) && untouched(r.new)) return this.#zeroTotals(bounds)
    return { old: sideTotals(r.old, bounds), new: sideTotals(r.new, bounds) }
  }

  /** The reading of a route that never served, under `bounds`: one object per bounds. */
  #zeroTotals(bounds: readonly number[]): TargetTotals {
    if (this.#zero?.old.bounds !== bounds) {
      const buckets = Object.freeze(new Array<number>(bounds.length + 1).fill(0)) as number[]
      const side = (): SideTotals => Object.freeze({ requests: 0, errors: 0, buckets, bounds })
      this.#zero = Object.freeze({ old: side(), new: side() })
    }
    return this.#zero
  }

  /** The five families, in the registry at the places their prom-client metrics had. */
  registerCounters(registry: Registry): void {
    registerFamily(registry, FAMILIES.requests, () => this.#collect((out, route, backend, side) => {
      for (const [status, c] of side.codes) {
        out.push({ labels: { route, backend, code: codeLabel(status) }, value: c.n })
      }
    }))
    registerFamily(registry, FAMILIES.upstreamErrors, () => this.#collect((out, route, backend, side) => {
      UPSTREAM_ERROR_REASONS.forEach((reason, i) => {
        out.push({ labels: { route, backend, reason }, value: side.counts[ERRORS + i]! })
      })
    }))
    registerFamily(registry, FAMILIES.decisions, () => this.#collect((out, route, backend, side) => {
      DECISION_REASONS.forEach((reason, i) => {
        out.push({ labels: { route, backend, reason }, value: side.counts[DECISIONS + i]! })
      })
    }))
    registerFamily(registry, FAMILIES.flagEvaluations, () => this.#collect((out, route, variant, side) => {
      out.push({ labels: { route, variant }, value: side.counts[FLAG]! })
    }))
  }

  registerDuration(registry: Registry): void {
    const bucket = `${FAMILIES.duration.name}_bucket`
    const sum = `${FAMILIES.duration.name}_sum`
    const count = `${FAMILIES.duration.name}_count`
    registerFamily(registry, FAMILIES.duration, () => {
      const bounds = this.#bounds
      return this.#collect((out, route, backend, side) => {
        const sharedLabels = { route, backend }
        const c = side.counts
        let acc = 0
        for (let i = 0; i < bounds.length; i++) {
          acc += c[BUCKETS + i]!
          out.push({ labels: { le: bounds[i]! }, sharedLabels, value: acc, metricName: bucket })
        }
        out.push({ labels: { le: '+Inf' }, sharedLabels, value: c[DURATION_COUNT]!, metricName: bucket })
        out.push({ labels: {}, sharedLabels, value: c[DURATION_SUM]!, metricName: sum })
        out.push({ labels: {}, sharedLabels, value: c[DURATION_COUNT]!, metricName: count })
      })
    })
  }

  #collect(each: (out: ExpositionValue[], route: string, backend: Side, side: SideCounts) => void): ExpositionValue[] {
    const out: ExpositionValue[] = []
    for (const [route, r] of this.#routes) for (const backend of SIDES) each(out, route, backend, r[backend])
    return out
  }
}

/** As prom-client's Histogram.observe: the first bound ≥ the value takes it; above all bounds only the count (+Inf). */
function observe(c: Float64Array, bounds: readonly number[], s: number): void {
  c[DURATION_SUM]! += s
  c[DURATION_COUNT]!++
  for (let i = 0; i < bounds.length; i++) {
    if (s <= bounds[i]!) {
      c[BUCKETS + i]!++
      return
    }
  }
}

function sideTotals(side: SideCounts, bounds: readonly number[]): SideTotals {
  const requests = requestsOf(side)
  const errors = errorsOf(side)
  const buckets = new Array<number>(bounds.length + 1)
  let acc = 0
  for (let i = 0; i < bounds.length; i++) buckets[i] = acc += side.counts[BUCKETS + i]!
  buckets[bounds.length] = side.counts[DURATION_COUNT]!
  return { requests, errors, buckets, bounds }
}

/** Whether `before` still holds `side`'s figures (without building them: this runs for every idle route). */
function unchanged(side: SideCounts, before: SideTotals, bounds: readonly number[]): boolean {
  if (before.bounds !== bounds || requestsOf(side) !== before.requests || errorsOf(side) !== before.errors) return false
  let acc = 0
  for (let i = 0; i < bounds.length; i++) if ((acc += side.counts[BUCKETS + i]!) !== before.buckets[i]) return false
  return side.counts[DURATION_COUNT] === before.buckets[bounds.length]
}

/** No request counted on this side: no status count, no duration observed (since its histogram's last reset). */
function untouched(side: SideCounts): boolean {
  if (side.counts[DURATION_COUNT] !== 0 || requestsOf(side) !== 0) return false
  for (let i = BUCKETS; i < side.counts.length; i++) if (side.counts[i] !== 0) return false
  return true
}

function requestsOf(side: SideCounts): number {
  let requests = 0
  for (const c of side.codes.values()) requests += c.n
  return requests
}

/**
 * As analysis counts them: 5xx and 499 (the client went away, status 0, or a backend's own 499:
 * the statuses codeLabel names CLIENT_CLOSED_CODE, compared as numbers to allocate no label).
 */
function errorsOf(side: SideCounts): number {
  let errors = 0
  for (const [status, c] of side.codes) if (status >= 500 || status === 0 || status === 499) errors += c.n
  return errors
}

export function codeLabel(status: number): string {
  return status === 0 ? CLIENT_CLOSED_CODE : String(status)
}
