import type { RouteConfig } from '../config/types.js'

/**
 * What shadow traffic found, per route (README "Shadow traffic"): counts since start, the last
 * SAMPLE_LIMIT mismatches, and the in-flight count that `maxConcurrent` bounds. The data plane's
 * shadow leg reports each call here once; this fans it out to the metrics (children resolved once
 * per route, by the recorder) and to the analysis windows (maxMismatchRate).
 *
 * Samples hold no header values and no bodies beyond the diff lines: the admin API that shows them
 * must not leak what users sent or got.
 */

export type ShadowResult = 'match' | 'mismatch' | 'error' | 'skipped'
export const SHADOW_RESULTS: readonly ShadowResult[] = ['match', 'mismatch', 'error', 'skipped']

/** The last mismatches kept per route. */
export const SAMPLE_LIMIT = 50

export interface ShadowSample {
  /** ISO time. */
  readonly at: string
  readonly method: string
  /** The path with query parameter names but no values. */
  readonly path: string
  readonly old: { readonly status: number }
  /** 0 when new failed before answering. */
  readonly new: { readonly status: number }
  readonly diff: readonly string[]
}

/** GET /api/routes/NAME/shadow. */
export interface ShadowReport {
  readonly compared: number
  readonly matched: number
  readonly mismatched: number
  readonly errors: number
  readonly skipped: number
  /** Newest last. */
  readonly samples: readonly ShadowSample[]
}

/** The metric children of one route (observe/metrics/recorder.ts), resolved once. */
export interface ShadowSeries {
  readonly results: Readonly<Record<ShadowResult, { inc(): void }>>
  readonly duration: { observe(seconds: number): void }
}

export interface ShadowLedgerDeps {
  /** The route's metric children; undefined = not recorded (tests, a route unknown to the recorder). */
  readonly series?: (route: string) => ShadowSeries | undefined
  /** Every call compared or failed, for the analysis windows: `differed` = mismatch or failure. */
  readonly onJudged?: (route: string, differed: boolean) => void
  readonly now?: () => number
}

/** One route's shadow figures; kept across reloads and live-state changes while the route has a shadow block. */
export class RouteShadowStats {
  /** Shadow calls in flight (request body being teed, or new's answer awaited). */
  inflight = 0
  matched = 0
  mismatched = 0
  errors = 0
  skipped = 0
  series: ShadowSeries | undefined
  readonly #samples: ShadowSample[] = []

  constructor(readonly route: string, private readonly deps: ShadowLedgerDeps) {
    this.series = deps.series?.(route)
  }

  /** One shadow call's end; `durationMs` is new's call time (none for skipped calls). */
  record(result: ShadowResult, durationMs?: number): void {
    if (result === 'match') this.matched++
    else if (result === 'mismatch') this.mismatched++
    else if (result === 'error') this.errors++
    else this.skipped++
    const series = this.series
    if (series !== undefined) {
      series.results[result].inc()
      if (durationMs !== undefined && Number.isFinite(durationMs) && durationMs >= 0) {
        series.duration.observe(durationMs / 1000)
      }
    }
    if (result !== 'skipped') this.deps.onJudged?.(this.route, result !== 'match')
  }

  /** A mismatch (or a failed call) worth showing; the oldest goes beyond SAMPLE_LIMIT. */
  sample(s: Omit<ShadowSample, 'at'>): void {
    this.#samples.push({ at: new Date((this.deps.now ?? Date.now)()).toISOString(), ...s })
    if (this.#samples.length > SAMPLE_LIMIT) this.#samples.shift()
  }

  report(): ShadowReport {
    return {
      compared: this.matched + this.mismatched, matched: this.matched, mismatched: this.mismatched,
      errors: this.errors, skipped: this.skipped, samples: [...this.#samples],
    }
  }
}

/** Every route's shadow figures. */
export class ShadowLedger {
  #routes = new Map<string, RouteShadowStats>()

  constructor(private readonly deps: ShadowLedgerDeps = {}) {}

  /**
   * Call with every route set (the data plane does, on setRoutes): routes with a shadow block keep
   * their figures, get them fresh when new, and lose them when the block (or the route) goes.
   * Metric children are looked up again: a reload may have recreated them.
   */
  configure(routes: readonly RouteConfig[]): void {
    const next = new Map<string, RouteShadowStats>()
    for (const r of routes) {
      if (r.shadow === undefined) continue
      const stats = this.#routes.get(r.name) ?? new RouteShadowStats(r.name, this.deps)
      stats.series = this.deps.series?.(r.name)
      next.set(r.name, stats)
    }
    // Calls still in flight for a dropped block must not recreate the series the recorder removed.
    for (const [name, stats] of this.#routes) if (!next.has(name)) stats.series = undefined
    this.#routes = next
  }

  stats(route: string): RouteShadowStats | undefined {
    return this.#routes.get(route)
  }

  /** undefined when the route has no shadow block. */
  report(route: string): ShadowReport | undefined {
    return this.#routes.get(route)?.report()
  }
}

/**
 * The dashboard series' shadow slot (observe/series.ts): per route, the share of shadow calls since
 * the previous call that differed from old's answer or failed (as `maxMismatchRate` counts them),
 * or null when none were compared. Reads the cumulative report; keeps only the last counts per route.
 */
export function mismatchRateSince(
  report: (route: string) => ShadowReport | undefined,
): (route: string) => number | null {
  const last = new Map<string, { readonly differed: number; readonly judged: number }>()
  return (route) => {
    const r = report(route)
    if (r === undefined) return null
    const now = { differed: r.mismatched + r.errors, judged: r.compared + r.errors }
    const before = last.get(route) ?? { differed: 0, judged: 0 }
    last.set(route, now)
    // A reload that rebuilt the route's counters starts them again from 0.
    const judged = now.judged >= before.judged ? now.judged - before.judged : now.judged
    const differed = now.judged >= before.judged ? now.differed - before.differed : now.differed
    return judged > 0 ? differed / judged : null
  }
}
