import { EMPTY_SIDE, toSparse, type SerializedSide } from '../state/fleet.js'
import type { SideTotals } from './metrics/recorder.js'

/**
 * From two cumulative readings of the recorder's counters and histograms to one interval's point on
 * the dashboard's charts (observe/series.ts): what the fleet stores per interval, and the requests/s,
 * error rate and p99 drawn from it.
 */

/** One side's figures over one interval; null when there was no request (no rate, no p99). */
export interface SidePoint {
  readonly rps: number
  readonly errorRate: number | null
  readonly p99Ms: number | null
}

/**
 * One side's counts between two cumulative readings, as the fleet stores them: requests, errors
 * and the latency histogram per bucket (sparse pairs of bucket index and count). A counter that
 * went down or bounds that changed (a histogram recreated by a reload that added a bucket bound)
 * give no histogram for that interval (so no p99) rather than a wrong one.
 */
export function sideDelta(before: SideTotals, after: SideTotals): SerializedSide {
  if (before === after) return EMPTY_SIDE
  const requests = Math.max(0, after.requests - before.requests)
  const errors = Math.max(0, after.errors - before.errors)
  const comparable = before.bounds === after.bounds || sameBounds(before.bounds, after.bounds)
  if (!comparable) return { requests, errors, histogram: [] }
  const perBucket: number[] = []
  let below = 0
  for (let i = 0; i < after.buckets.length; i++) {
    const cumulative = after.buckets[i]! - (before.buckets[i] ?? 0)
    if (cumulative < below) return { requests, errors, histogram: [] }
    perBucket.push(cumulative - below)
    below = cumulative
  }
  return { requests, errors, histogram: toSparse(perBucket) }
}

/** An interval's figures for the chart: per second, the error share, p99 over `bounds` (seconds, +Inf after). */
export function pointOf(side: SerializedSide, bounds: readonly number[], seconds: number): SidePoint {
  // What the math below gives for an interval without requests (most of them at 10,000 routes).
  if (side.requests === 0 && side.histogram.length === 0 && seconds > 0) return NO_REQUESTS
  const cumulative = new Array<number>(bounds.length + 1).fill(0)
  for (const [i, n] of side.histogram) cumulative[Math.min(Math.max(0, i), bounds.length)]! += n
  for (let i = 1; i < cumulative.length; i++) cumulative[i]! += cumulative[i - 1]!
  return {
    rps: round(side.requests / seconds),
    errorRate: side.requests > 0 ? round(side.errors / side.requests) : null,
    p99Ms: quantileMs(0.99, bounds, cumulative),
  }
}

const NO_REQUESTS: SidePoint = Object.freeze({ rps: 0, errorRate: null, p99Ms: null })

/** The point of the interval between two cumulative readings `seconds` apart. */
export function sidePoint(before: SideTotals, after: SideTotals, seconds: number): SidePoint {
  return pointOf(sideDelta(before, after), after.bounds, seconds)
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
