import type { AnalysisPolicy, Side } from '../config/types.js'
import type { Kind, RolloutState, TargetRef } from '../core/types.js'
import { EMPTY_SIDE, type FleetWindows, type WindowSides } from '../state/fleet.js'
import { refKey, type LiveSnapshot } from '../state/store.js'
import type { Clock, Timer } from '../util/clock.js'
import { TimeSlice } from '../util/time-slice.js'
import type { GoalCounter } from './goals.js'
import type { GaugeTargets } from './live-gauges.js'
import type { Recorder, TargetTotals, TotalsReader } from './metrics/recorder.js'
import { SeriesRing, type SeriesPoint } from './series-ring.js'
import { pointOf, sideDelta, type SidePoint } from './series-point.js'

/**
 * The dashboard's time series (README "Dashboard and time series"): per route and queue, one point
 * every RESOLUTION_MS with the share, the state, and per side requests/s, error rate and p99, goal
 * conversion per side, and the shadow mismatch rate. The ring is series-ring.ts, the interval math
 * (readings → point) series-point.ts; this file samples and serves them.
 *
 * Nothing is done per request: every RESOLUTION_MS the sampler reads the recorder's cumulative
 * counters and histograms (the same figures /metrics exports) and keeps the difference to the last
 * reading. Memory is bounded: each target has a ring of KEEP_MS of points, whose columns stay one
 * number while the points agree (an idle target: series-columns.ts).
 *
 * Scope: with `state.store: redis` the traffic figures are the fleet's (each replica adds its
 * counts per interval to the store and reads back the sum; the JSON says `"scope": "fleet"`),
 * otherwise this process's. Percent and state come from the live state, which every replica
 * shares; goal conversion is what GET /api/routes/NAME reports: the fleet's, through the goal log.
 */

export const SERIES_RESOLUTION_MS = 10_000
/** An hour, plus one point so that a full hour of intervals is always there. */
export const SERIES_KEEP_MS = 60 * 60_000

/** GET /api/routes/NAME/series (README "Dashboard and time series"). */
export interface SeriesJson {
  readonly resolution: string
  /**
   * "fleet": every replica's traffic, summed through the shared Redis store; "replica": this
   * process's own (the memory store: one process, nothing to sum).
   */
  readonly scope: 'fleet' | 'replica'
  readonly replica: string
  /** "redis": other replicas serve traffic too, and their figures are not in these points. */
  readonly store: 'memory' | 'redis'
  /** The analysis limits to draw (absent ones are not configured). */
  readonly limits: {
    readonly errorRate?: number; readonly p99Ms?: number; readonly errorRateVsOld?: number; readonly p99VsOld?: number
  }
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

export interface SeriesDeps {
  readonly recorder: Pick<Recorder, 'totals'>
  readonly targets: () => GaugeTargets
  readonly snapshot: () => LiveSnapshot
  readonly goals?: Pick<GoalCounter, 'report'> | undefined
  /**
   * The slot for shadow traffic: called once per route at the end of each interval, the share of
   * mirrored requests whose answers differed since the previous call, or null (none mirrored).
   * Absent until shadow traffic exists: the points then say null.
   */
  readonly shadowMismatchRate?: ((route: string) => number | null) | undefined
  readonly clock: Clock
  /** This replica's id and its state store's kind, named in the JSON. */
  readonly replica: string
  readonly store: 'memory' | 'redis'
  /**
   * Several replicas (`state.store: redis`): each adds its counts of every interval to the shared
   * store and reads back the fleet's sum, so every replica's series is the whole fleet's.
   */
  readonly fleet?: FleetWindows | undefined
  /** Default SERIES_RESOLUTION_MS; tests use less. */
  readonly resolutionMs?: number | undefined
  readonly keepMs?: number | undefined
  /** Default SAMPLE_SLICE_MS: the sample yields to the event loop once it ran this long. */
  readonly sliceMs?: number | undefined
}

/** The live facts of one interval, taken when it ended (the fleet's figures arrive an interval later). */
interface IntervalFacts {
  readonly percentBp: number
  readonly state: RolloutState
  readonly goals: SeriesPoint['goals']
  readonly shadowMismatchRate: number | null
  /** The latency bucket bounds the interval's histogram indexes refer to, per side. */
  readonly oldBounds: readonly number[]
  readonly newBounds: readonly number[]
}

/** How often the sampler looks whether an interval of the common grid has ended. */
const TICK_MS = 1000
/**
 * The sample's longest stretch on the event loop before it yields (a data-plane stall): 5 ms, so
 * that with a young-generation GC now and then a turn stays near 10 ms.
 */
const SAMPLE_SLICE_MS = 5
/**
 * Several replicas: how many targets' flushes and reads may wait for the store at once (replies
 * arrive in chunks, and all those a chunk holds are handled in one turn of the event loop; fewer
 * in flight also leave less for each young-generation GC to copy). At 10,000 routes, 200 batches
 * of two round trips: ~1.3 s per sample against a local Redis (bench/routes/series-memory.mjs),
 * well inside the 10 s interval; 200 in flight gave longer turns.
 */
const FLEET_BATCH = 50
/** An interval without requests on either side (sideDelta of a reading and itself). */
const IDLE_DELTA: WindowSides = Object.freeze({ old: EMPTY_SIDE, new: EMPTY_SIDE })
/** The goals of a queue's points (shared: every point of every queue has none). */
const NO_GOALS: SeriesPoint['goals'] = Object.freeze({})

/**
 * Every target's ring. Intervals follow a grid common to all replicas (interval n covers
 * [n × resolution, (n + 1) × resolution)); when one ends, the sampler reads the recorder's
 * cumulative figures and keeps the difference to the previous reading:
 * - one process: that difference is the interval's point;
 * - several replicas: it is flushed to the shared store as this replica's share of the interval,
 *   and the point is the fleet's sum of the interval before, read once every replica had a tick to
 *   flush it (the points lag one interval).
 * A target that left the config loses its ring; one that arrives starts empty.
 */
export class SeriesBook {
  readonly resolutionMs: number
  readonly #deps: SeriesDeps
  readonly #capacity: number
  readonly #rings = new Map<string, SeriesRing>()
  /** The last cumulative reading per target: each interval is the difference to it. */
  readonly #last = new Map<string, TargetTotals>()
  /** Several replicas: per target, the facts of the interval whose fleet figures are read next. */
  readonly #pending = new Map<string, { interval: number; facts: IntervalFacts }>()
  /** The grid interval of the last reading and when it was taken. */
  #lastReading: { readonly interval: number; readonly at: number } | undefined
  #timer: Timer | undefined
  #busy = false

  constructor(deps: SeriesDeps) {
    this.#deps = deps
    this.resolutionMs = deps.resolutionMs ?? SERIES_RESOLUTION_MS
    this.#capacity = Math.ceil((deps.keepMs ?? SERIES_KEEP_MS) / this.resolutionMs) + 1
  }

  /** "fleet" when the points sum every replica's figures. */
  get scope(): 'fleet' | 'replica' {
    return this.#deps.fleet === undefined ? 'replica' : 'fleet'
  }

  start(): void {
    this.#timer ??= this.#deps.clock.every(Math.min(TICK_MS, this.resolutionMs), () => {
      void this.sample().catch(() => undefined)
    })
  }

  stop(): void {
    this.#timer?.stop()
    this.#timer = undefined
  }

  /**
   * Take the points of an interval that has just ended, if one has (the timer calls this; overlapping
   * calls are skipped).
   */
  async sample(): Promise<void> {
    if (this.#busy) return
    const now = this.#deps.clock.now()
    const interval = Math.floor(now / this.resolutionMs)
    const previous = this.#lastReading
    if (previous !== undefined && interval <= previous.interval) return
    this.#busy = true
    try {
      const read = await this.#deps.recorder.totals()
      this.#lastReading = { interval, at: now }
      // The first reading is the baseline: what came before belongs to no interval.
      const seconds = previous === undefined ? undefined : (now - previous.at) / 1000
      await this.#add(read, interval, seconds)
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
      resolution: `${this.resolutionMs / 1000}s`, scope: this.scope, replica: this.#deps.replica, store: this.#deps.store,
      limits: limitsOf(analysis), points,
    }
  }

  /** The longest history a request may ask for, in minutes. */
  get keepMinutes(): number {
    return Math.floor(((this.#capacity - 1) * this.resolutionMs) / 60_000)
  }

  /**
   * `interval` has begun: the one before it has ended. `seconds` since the previous reading (none for
   * the first). One target at a time, yielding to the event loop whenever the slice's budget is
   * spent (10,000 routes took ~100 ms in one go): each target's figures are read at once, so its
   * interval is consistent; two targets are read a few milliseconds apart, which moves a request
   * at the boundary to the neighbouring interval of the later target, as a sample taken a few
   * milliseconds later would.
   */
  async #add(read: TotalsReader, interval: number, seconds: number | undefined): Promise<void> {
    const { routes, queues } = this.#deps.targets()
    const snapshot = this.#deps.snapshot()
    const keep = new Set<string>()
    const work: Array<Promise<void>> = []
    const slice = new TimeSlice(this.#deps.sliceMs ?? SAMPLE_SLICE_MS)
    const take = (kind: Kind, name: string, filePercentBp: number) => {
      const ref: TargetRef = { kind, name }
      const key = refKey(ref)
      keep.add(key)
      const last = this.#last.get(key)
      // An idle target's reading is `last` itself (nothing allocated, and sideDelta knows it is empty).
      const current = read(kind, name, last)
      if (current === undefined) return
      if (current !== last) this.#last.set(key, current)
      if (last === undefined || seconds === undefined || !(seconds > 0)) return
      const live = snapshot.targets.get(key)
      const facts = factsOf(this.#pending.get(key)?.facts, {
        percentBp: live?.percentBp ?? filePercentBp, state: live?.state ?? 'manual',
        goals: kind === 'route' ? this.#conversion(name) : NO_GOALS,
        shadowMismatchRate: kind === 'route' ? this.#deps.shadowMismatchRate?.(name) ?? null : null,
        oldBounds: current.old.bounds, newBounds: current.new.bounds,
      })
      const delta: WindowSides = current === last
        ? IDLE_DELTA
        : { old: sideDelta(last.old, current.old), new: sideDelta(last.new, current.new) }
      const fleet = this.#deps.fleet
      if (fleet === undefined) {
        this.#push(key, interval * this.resolutionMs, facts, delta, seconds)
        return
      }
      work.push(this.#viaFleet(fleet, ref, key, interval - 1, facts, delta))
    }
    const next = async () => {
      // Several replicas: at most FLEET_BATCH targets wait for the store at once, so that one
      // turn of the event loop never handles the replies of thousands of them.
      if (work.length >= FLEET_BATCH) await Promise.all(work.splice(0))
      await slice.pass()
    }
    for (const r of routes) {
      take('route', r.name, r.percentBp)
      await next()
    }
    for (const q of queues) {
      take('queue', q.name, q.percentBp)
      await next()
    }
    await Promise.all(work)
    // Deleting from a Map while iterating it is safe; at most a few thousand Set lookups.
    for (const map of [this.#rings, this.#last, this.#pending]) {
      for (const key of map.keys()) if (!keep.has(key)) map.delete(key)
    }
  }

  /**
   * Flush this replica's share of `ended`, then read the fleet's sum of the interval before it
   * (every replica flushed that one at its own first tick of `ended`, a whole interval ago). A store
   * that does not answer costs the point, nothing else.
   */
  async #viaFleet(
    fleet: FleetWindows, ref: TargetRef, key: string, ended: number, facts: IntervalFacts, delta: WindowSides,
  ): Promise<void> {
    const window = (id: number) => ({ id, ms: this.resolutionMs, counts: 'series' as const })
    // Updated in place: a new entry per target and interval would outlive the young generation.
    const pending = this.#pending.get(key)
    const beforeInterval = pending?.interval
    const beforeFacts = pending?.facts
    if (pending === undefined) this.#pending.set(key, { interval: ended, facts })
    else { pending.interval = ended; pending.facts = facts }
    try {
      await fleet.flushWindow(ref, window(ended), this.#deps.replica, delta)
      if (beforeFacts === undefined || beforeInterval !== ended - 1) return
      const merged = await fleet.readWindow(ref, window(ended - 1))
      if (merged.replicas === 0) return
      this.#push(key, ended * this.resolutionMs, beforeFacts, merged, this.resolutionMs / 1000)
    } catch {
      // The state store is unreachable: no point for this interval (the gauges say the store is down).
    }
  }

  #push(key: string, t: number, facts: IntervalFacts, sides: WindowSides, seconds: number): void {
    let ring = this.#rings.get(key)
    if (ring === undefined) {
      ring = new SeriesRing(this.#capacity)
      this.#rings.set(key, ring)
    }
    ring.push({
      t, percentBp: facts.percentBp, state: facts.state,
      old: pointOf(sides.old, facts.oldBounds, seconds), new: pointOf(sides.new, facts.newBounds, seconds),
      goals: facts.goals, shadowMismatchRate: facts.shadowMismatchRate,
    })
  }

  #conversion(route: string): SeriesPoint['goals'] {
    // alpha only shapes the interval, which is not kept here.
    const report = this.#deps.goals?.report(route, 0.05)
    if (report === undefined) return NO_GOALS
    let out: Record<string, Record<Side, number | null>> | undefined
    for (const name in report) {
      const g = report[name]!
      out ??= {}
      out[name] = { old: g.old.users > 0 ? g.old.rate : null, new: g.new.users > 0 ? g.new.rate : null }
    }
    return out ?? NO_GOALS
  }
}

/**
 * Several replicas keep an interval's facts until its fleet figures are read (an interval later):
 * an idle target's are those of the interval before, kept rather than a copy that would outlive
 * the young generation.
 */
function factsOf(previous: IntervalFacts | undefined, next: IntervalFacts): IntervalFacts {
  const same = previous !== undefined && previous.percentBp === next.percentBp && previous.state === next.state &&
    previous.goals === next.goals && previous.shadowMismatchRate === next.shadowMismatchRate &&
    previous.oldBounds === next.oldBounds && previous.newBounds === next.newBounds
  return same ? previous : next
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
