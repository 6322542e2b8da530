import type { TargetRef } from '../core/types.js'

/**
 * Fleet-wide analysis windows: each replica flushes what it counted in one analysis window, the
 * lease holder reads the merged figures and judges the rollout on them.
 * This module holds the wire shape and pure helpers; state/ stays below observe/, so the caller
 * (control/) converts to and from observe/analysis-windows.ts's SideCounts with `toSparse` and `addInto`.
 */

/** A [bucketIndex, count] pair of a latency histogram. */
export type HistogramPair = readonly [bucketIndex: number, count: number]

/**
 * One side's counts for one window, compact: a sparse histogram (only non-empty buckets, in
 * ascending bucket order) instead of the ~700 buckets of the in-process histogram. Bucket indexes
 * are the caller's (observe/analysis-windows.ts); every replica must run the same bucket layout.
 */
export interface SerializedSide {
  readonly requests: number
  readonly errors: number
  readonly histogram: readonly HistogramPair[]
}

/** A route's shadow calls in one window: judged (compared or failed) and differed (mismatch or failure). */
export interface SerializedShadow {
  readonly judged: number
  readonly differed: number
}

export interface WindowSides {
  readonly old: SerializedSide
  readonly new: SerializedSide
  /** Absent when the replica counted no shadow call (or runs a version without shadow traffic). */
  readonly shadow?: SerializedShadow | undefined
}

/** The sum over every replica that flushed the window. */
export interface MergedWindow extends WindowSides {
  /** How many replicas contributed (0 = nobody flushed this window, or it has expired). */
  readonly replicas: number
}

/**
 * A window of the fleet's common grid: `id` = floor(epoch ms / `ms`), so replicas agree on which
 * window "now" is without talking to each other. `ms` is part of the identity, so a changed
 * `analysis.window` never mixes windows of two sizes.
 */
export interface WindowRef {
  readonly id: number
  readonly ms: number
  /**
   * Whose counts: the rollout analysis' (absent) or the dashboard's time series (`series`), kept
   * under their own keys so that an analysis window of the series' length never mixes with it.
   */
  readonly counts?: 'series'
}

/**
 * Shared per-window counts. Guarantees: a flush by (window, replica) replaces that replica's
 * earlier flush of the same window (a retried flush never double-counts); windows expire by
 * themselves after FLEET_WINDOW_TTL_WINDOWS windows; reads merge whatever has been flushed so far,
 * so the reader should wait a little after the window ends (see `replicas`). Both reject with
 * SLUICE_ERR_STATE_STORE while the store is unreachable: a reader must then judge nothing.
 */
export interface FleetWindows {
  flushWindow(ref: TargetRef, window: WindowRef, replica: string, sides: WindowSides): Promise<void>
  readWindow(ref: TargetRef, window: WindowRef): Promise<MergedWindow>
}

/** Windows live this many window lengths: long enough for a slow leader, short enough to stay small. */
export const FLEET_WINDOW_TTL_WINDOWS = 5

/** The window of the common grid that contains `now`. */
export function windowAt(now: number, windowMs: number): WindowRef {
  return { id: Math.floor(now / windowMs), ms: windowMs }
}

/** The window before `window` (the one to flush or judge when a new window has begun). */
export function previousWindow(window: WindowRef): WindowRef {
  return { id: window.id - 1, ms: window.ms }
}

export const EMPTY_SIDE: SerializedSide = Object.freeze({ requests: 0, errors: 0, histogram: Object.freeze([]) })

/** Dense histogram (e.g. SideCounts.histogram()) → sparse pairs of the non-empty buckets. */
export function toSparse(histogram: ArrayLike<number>): HistogramPair[] {
  const pairs: HistogramPair[] = []
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i]!
    if (count > 0) pairs.push([i, count])
  }
  return pairs
}

/** Sum two sides; the result's histogram is sparse and in ascending bucket order. */
export function mergeSides(a: SerializedSide, b: SerializedSide): SerializedSide {
  const buckets = new Map<number, number>()
  for (const [i, n] of [...a.histogram, ...b.histogram]) buckets.set(i, (buckets.get(i) ?? 0) + n)
  const histogram = [...buckets].sort((x, y) => x[0] - y[0]) as HistogramPair[]
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, histogram }
}

/** What `addInto` writes to: structurally observe/analysis-windows.ts's SideCounts. */
export interface MutableSide {
  requests: number
  errors: number
  histogram(): { [index: number]: number; readonly length: number }
}

/**
 * Add a serialised side into a live counter (SideCounts). A bucket index beyond the target's
 * histogram lands in its last bucket, so a layout mismatch errs towards "slow", never drops counts.
 */
export function addInto(target: MutableSide, side: SerializedSide): void {
  target.requests += side.requests
  target.errors += side.errors
  const hist = target.histogram()
  if (hist.length === 0) return
  for (const [i, n] of side.histogram) {
    const at = Math.min(Math.max(0, i), hist.length - 1)
    hist[at] = (hist[at] ?? 0) + n
  }
}

/** Parse one replica's stored contribution; undefined when it is not the shape this module writes. */
export function parseSides(text: string): WindowSides | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  const v = value as { old?: unknown; new?: unknown } | null
  if (typeof v !== 'object' || v === null) return undefined
  const old = parseSide(v.old)
  const neu = parseSide(v.new)
  if (!old || !neu) return undefined
  const shadow = (v as { shadow?: unknown }).shadow
  if (shadow === undefined) return { old, new: neu }
  const s = shadow as Partial<SerializedShadow> | null
  if (typeof s !== 'object' || s === null || !isCount(s.judged) || !isCount(s.differed)) return undefined
  return { old, new: neu, shadow: { judged: s.judged, differed: s.differed } }
}

/** Sum two replicas' shadow counts (either may be absent). */
export function mergeShadow(
  a: SerializedShadow | undefined, b: SerializedShadow | undefined,
): SerializedShadow | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return { judged: a.judged + b.judged, differed: a.differed + b.differed }
}

function parseSide(value: unknown): SerializedSide | undefined {
  const s = value as Partial<SerializedSide> | null | undefined
  if (typeof s !== 'object' || s === null) return undefined
  if (!isCount(s.requests) || !isCount(s.errors) || !Array.isArray(s.histogram)) return undefined
  const pairs = s.histogram as unknown[]
  if (!pairs.every((p) => Array.isArray(p) && p.length === 2 && isCount(p[0]) && isCount(p[1]))) return undefined
  return { requests: s.requests, errors: s.errors, histogram: pairs as HistogramPair[] }
}

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0
}
