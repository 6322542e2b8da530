import type { ShadowWindow, SideWindow } from '../core/analysis.js'
import type { Kind, Side } from '../core/types.js'
import type { Outcome } from './events.js'

/**
 * Per target × side counts and a fine latency histogram for the current analysis window, fed by
 * the outcome bus (one call per request, no allocation) and taken whole by the controller at the
 * end of each window. Independent of the exported Prometheus buckets: "is p99 above 500 ms" becomes
 * "how many requests took longer than 500 ms", exact to one bucket width.
 */

/** Buckets grow by 2 %: p99 and cut-offs are exact to within 2 %. */
const GROWTH = 1.02
const MIN_MS = 0.05
const MAX_MS = 300_000
const LOG_GROWTH = Math.log(GROWTH)
const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH) + 2

function bucketIndex(ms: number): number {
  if (!(ms > MIN_MS)) return 0
  const i = Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH) + 1
  return i < BUCKETS ? i : BUCKETS - 1
}

/** The upper edge of bucket i in ms (bucket 0 holds everything up to MIN_MS). */
function upperMs(i: number): number {
  return MIN_MS * GROWTH ** i
}

/** One side's window: the numbers analysis needs, frozen when the window closes. */
export class SideCounts implements SideWindow {
  requests = 0
  errors = 0
  readonly #hist = new Float64Array(BUCKETS)

  record(durationMs: number | undefined, error: boolean): void {
    this.requests++
    if (error) this.errors++
    if (durationMs !== undefined) this.#hist[bucketIndex(durationMs)]!++
  }

  /**
   * Requests with a latency sample: the n of the p99 tests (fallbacks and worker results without a
   * duration are not).
   */
  get timed(): number {
    let total = 0
    for (let i = 0; i < BUCKETS; i++) total += this.#hist[i]!
    return total
  }

  get p99Ms(): number | undefined {
    return this.quantileMs(0.99)
  }

  /** The upper edge of the bucket holding the q-quantile of the recorded latencies. */
  quantileMs(q: number): number | undefined {
    let total = 0
    for (let i = 0; i < BUCKETS; i++) total += this.#hist[i]!
    if (total === 0) return undefined
    const rank = Math.ceil(q * total)
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#hist[i]!
      if (seen >= rank) return upperMs(i)
    }
    return upperMs(BUCKETS - 1)
  }

  /** Requests slower than `ms`: whole buckets above the one holding `ms`. */
  slowerThan(ms: number): number {
    let n = 0
    for (let i = bucketIndex(ms) + 1; i < BUCKETS; i++) n += this.#hist[i]!
    return n
  }

  /** Add another replica's or window's counts (fleet-wide analysis merges these). */
  merge(other: SideCounts): void {
    this.requests += other.requests
    this.errors += other.errors
    const h = other.histogram()
    for (let i = 0; i < BUCKETS; i++) this.#hist[i]! += h[i]!
  }

  histogram(): Float64Array {
    return this.#hist
  }
}

/** A route's shadow calls in one window (README "Shadow traffic"): what maxMismatchRate judges. */
export class ShadowCounts implements ShadowWindow {
  judged = 0
  differed = 0

  record(differed: boolean): void {
    this.judged++
    if (differed) this.differed++
  }

  merge(other: ShadowWindow): void {
    this.judged += other.judged
    this.differed += other.differed
  }
}

export interface WindowPair {
  readonly old: SideCounts
  readonly new: SideCounts
  /** Routes with shadow traffic: its calls, compared or failed. */
  readonly shadow: ShadowCounts
}

/** An error for analysis: a 5xx answer (sluice's own 502/504 included) or a transport error. */
function isError(status: number, error: unknown): boolean {
  return error !== undefined || status >= 500
}

/**
 * The current window of every target; `take` hands it over and starts a fresh one.
 * Queues: a job yields a publish outcome and, when workers report, a worker outcome. Both are kept
 * apart and `take` hands over the worker figures once this process has seen any worker report for
 * the queue, else the publish figures: a job is never counted twice.
 */
export class AnalysisWindows {
  // Keyed by kind, then name: the per-request lookup uses the outcome's own strings, never a
  // joined `kind/name` key, which would allocate (and hash) a fresh string for every request.
  readonly #current = byKind<WindowPair>()
  readonly #worker = byKind<WindowPair>()
  readonly #workersReport = { route: new Set<string>(), queue: new Set<string>() }

  /** Subscribe to the outcome bus. A fallback counts as a failed request on the decided side too. */
  record(o: Outcome): void {
    const pair = o.origin === 'worker' ? this.#workerPair(o.kind, o.name) : pairIn(this.#current[o.kind], o.name)
    if (o.fellBack) {
      // The decided side failed to connect; the serving side's time includes that failed wait (up
      // to the connect timeout), so neither side gets a latency sample from it.
      pair[o.side].record(undefined, true)
      pair[o.servedBy].record(undefined, isError(o.status, undefined) || o.clientGone === true)
      return
    }
    if (o.clientGone === true || (o.status === 0 && o.error === undefined)) {
      // The client gave up before the answer: an error, and at least as slow as the time it waited.
      pair[o.servedBy].record(o.durationMs, true)
      return
    }
    // A worker may report a result without a duration: it counts, but not as a latency sample.
    const durationMs = Number.isFinite(o.durationMs) ? o.durationMs : undefined
    pair[o.servedBy as Side].record(durationMs, isError(o.status, o.error))
  }

  /**
   * One shadow call of a route that was compared (`differed`: a mismatch) or failed (`differed` too);
   * skipped calls are not recorded. Called by the data plane's shadow leg, off the client's path.
   */
  recordShadow(route: string, differed: boolean): void {
    pairIn(this.#current.route, route).shadow.record(differed)
  }

  /** The window of `key` (`route/NAME` or `queue/NAME`, as refKey writes it), handed over whole. */
  take(key: string): WindowPair {
    const slash = key.indexOf('/')
    const kind = key.slice(0, slash) as Kind
    const name = key.slice(slash + 1)
    const published = this.#current[kind].get(name) ?? newPair()
    const worker = this.#worker[kind].get(name) ?? newPair()
    this.#current[kind].delete(name)
    this.#worker[kind].delete(name)
    return this.#workersReport[kind].has(name) ? worker : published
  }

  #workerPair(kind: Kind, name: string): WindowPair {
    this.#workersReport[kind].add(name)
    return pairIn(this.#worker[kind], name)
  }
}

function byKind<T>(): { readonly route: Map<string, T>; readonly queue: Map<string, T> } {
  return { route: new Map(), queue: new Map() }
}

function pairIn(map: Map<string, WindowPair>, key: string): WindowPair {
  let pair = map.get(key)
  if (!pair) {
    pair = newPair()
    map.set(key, pair)
  }
  return pair
}

function newPair(): WindowPair {
  return { old: new SideCounts(), new: new SideCounts(), shadow: new ShadowCounts() }
}
