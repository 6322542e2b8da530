import type { AnalysisPolicy } from '../config/types.js'
import { addConditional, addOneSample, freshLogs, mixture } from './sprt.js'

/**
 * The canary judge. Windows do not stand alone: each closed window adds its counts to the
 * rollout's Evidence, and the verdict is read from the evidence (README "Automatic rollouts"; the
 * maths, §-numbered, in docs/ANALYSIS.md: windows §1, the tests §2–§3, alpha §4, the verdict §5).
 *
 * Harm tests, each a mixture SPRT (core/sprt.ts), so evidence accumulates and every look is valid:
 * - maxErrorRate L: errors among new's requests, null "rate ≤ L".
 * - maxErrorRateVsOld ρ: the split of errors between the sides, null "new ≤ ρ × old".
 * - maxP99Ms c: "p99 ≤ c" is "at most 1 % slower than c": new's requests slower than c, null 1 %.
 * - maxP99VsOld k: "new's p99 ≤ k × old's": with c the pooled 99th percentile of old's latencies and
 *   new's divided by k, count old's requests slower than c and new's slower than k·c; under the null
 *   the slow requests split between the sides in proportion to their sizes (the same conditional
 *   test as errors, ratio 1). Choosing c from both sides keeps the test exact (to within one 2 %
 *   histogram bucket); old's own p99 as the cut-off is noisy and biases every window towards failing.
 * - maxMismatchRate L (routes with shadow traffic): shadow calls whose answer differed from old's or
 *   failed, among all shadow calls that got as far as an answer or a failure, null "rate ≤ L".
 *
 * The false-rollback budget `alpha` covers the whole rollout: it is split evenly across the C
 * configured checks (Bonferroni: each check's bar is C/alpha), and within a check across the steps
 * by a mixture over start times: one SPRT starts at each judged step and runs to the end of the
 * rollout; M is their weighted mean (see statistic). M is itself a test supermartingale, so a
 * regression present from the first step keeps all its evidence, while one that appears at 50 %
 * is not buried under the negative evidence of healthy earlier steps.
 *
 * `minRequests` gates advancing, never failing: a step needs that many new-side requests (summed
 * over its windows) before it can pass; below that the verdict is 'inconclusive' and the step holds.
 */

export type CheckName = 'maxErrorRate' | 'maxErrorRateVsOld' | 'maxP99Ms' | 'maxP99VsOld' | 'maxMismatchRate'
export const CHECK_NAMES: readonly CheckName[] = ['maxErrorRate', 'maxErrorRateVsOld', 'maxP99Ms', 'maxP99VsOld', 'maxMismatchRate']

/** The pooled cut-off of maxP99VsOld needs this many latency samples (both sides together). */
export const MIN_BASELINE_REQUESTS = 100
/** The null share of slow requests for a p99 limit. */
const TAIL = 0.01

/** One side's figures for one window. */
export interface SideWindow {
  readonly requests: number
  /** 5xx answers, transport errors and requests the client gave up on. */
  readonly errors: number
  /** Requests with a latency sample (the n of the p99 tests). */
  readonly timed: number
  /** Estimated p99 latency, ms; undefined without samples. */
  readonly p99Ms: number | undefined
  /** How many latency samples exceed `ms`. */
  slowerThan(ms: number): number
}

/** Shadow calls of one window (README "Shadow traffic"): `differed` counts mismatches and failed calls. */
export interface ShadowWindow {
  /** Calls compared or failed (skipped calls are not). */
  readonly judged: number
  readonly differed: number
}

/** One side's figures: of the latest window (status), with `slow` as defined in sideTally. */
export interface SideFigures {
  readonly requests: number
  readonly errors: number
  readonly errorRate: number
  readonly p99Ms: number | null
  readonly slow: number
}

/** One side's counts summed over the current step. */
export interface SideTally {
  readonly requests: number
  readonly errors: number
  /** Requests slower than maxP99Ms (or, without it, than the maxP99VsOld cut-off); 0 without latency checks. */
  readonly slow: number
}

/** The counts one test takes from one window: x events of n on new (and on old, two-sample tests). */
export interface TestCounts {
  readonly check: CheckName
  readonly x1: number
  readonly n1: number
  readonly x0: number
  readonly n0: number
}

/**
 * A judgement made outside the request figures, once per closed window: a goal's lift with its
 * always-valid interval (core/goals.ts) or a Prometheus metric check. Its own statistics are its
 * producer's business; the analysis only folds the outcome in: any `fail` fails the verdict (and
 * counts towards failureLimit like a harm test), any `inconclusive` holds the step.
 */
export interface OutsideCheck {
  readonly kind: 'goal' | 'metric'
  /** The goal's or the metric check's configured name. */
  readonly name: string
  readonly outcome: VerdictKind
  /** One line for history, webhook, status and demo, e.g. "purchase fell 25 % (interval −31 % … −18 %)". */
  readonly summary: string
  /** The figures behind the outcome (value, limit, lift, interval bounds …) for history and webhooks. */
  readonly figures?: Readonly<Record<string, number | null>>
}

/** What one closed window contributes. */
export interface WindowObservation {
  readonly old: SideFigures
  readonly new: SideFigures
  readonly tests: readonly TestCounts[]
  /** Goal and metric checks judged at this window's close (latest result per check). */
  readonly outside?: readonly OutsideCheck[]
}

/**
 * Everything the analysis carries between windows, kept in the target's live state (plain JSON).
 * Reset when a rollout (re)starts; carried across steps (see the header).
 */
export interface Evidence {
  /** The step the tallies belong to. */
  readonly step: number
  readonly tally: { readonly old: SideTally; readonly new: SideTally }
  /** Per check: log likelihood ratios per grid point, one row per step started (oldest first). */
  readonly logs: Partial<Record<CheckName, readonly (readonly number[])[]>>
  /** The latest window's figures. */
  readonly last?: { readonly old: SideFigures; readonly new: SideFigures }
  /** The latest window's goal and metric checks (cleared when a step starts: none judged there yet). */
  readonly outside?: readonly OutsideCheck[]
}

export interface CheckResult {
  readonly check: CheckName
  readonly pass: boolean
  /** The mixture statistic and the bar it must reach to fail. */
  readonly m: number
  readonly bar: number
  /** The limit as configured. */
  readonly limit: number
}

export type VerdictKind = 'pass' | 'fail' | 'inconclusive'

export interface Verdict {
  /** fail: a check's evidence is over its bar; inconclusive: too few new-side requests at this step. */
  readonly kind: VerdictKind
  readonly failed: readonly CheckName[]
  /**
   * Goal and metric checks of the latest window; a `fail` among them fails the verdict. Optional:
   * verdicts stored before these existed lack it.
   */
  readonly outside?: readonly OutsideCheck[]
  /** The latest window's figures. */
  readonly old: SideFigures
  readonly new: SideFigures
  readonly checks: readonly CheckResult[]
  /** Counts summed over the current step. */
  readonly step: { readonly old: SideTally; readonly new: SideTally }
  /** Set when inconclusive: what is missing, e.g. "312 of 1,000 new-side requests at this step". */
  readonly missing?: string
}

/** Figures and test counts of one closed window. */
export function observe(
  policy: AnalysisPolicy, oldSide: SideWindow, newSide: SideWindow, shadow?: ShadowWindow,
): WindowObservation {
  const tests: TestCounts[] = []
  if (policy.maxMismatchRate !== undefined && shadow !== undefined) tests.push({ check: 'maxMismatchRate', x1: shadow.differed, n1: shadow.judged, x0: 0, n0: 0 })
  if (policy.maxErrorRate !== undefined) tests.push({ check: 'maxErrorRate', x1: newSide.errors, n1: newSide.requests, x0: 0, n0: 0 })
  if (policy.maxErrorRateVsOld !== undefined) tests.push({ check: 'maxErrorRateVsOld', x1: newSide.errors, n1: newSide.requests, x0: oldSide.errors, n0: oldSide.requests })
  if (policy.maxP99Ms !== undefined) tests.push({ check: 'maxP99Ms', x1: newSide.slowerThan(policy.maxP99Ms), n1: newSide.timed, x0: 0, n0: 0 })
  const relative = policy.maxP99VsOld === undefined ? undefined : relativeTail(policy.maxP99VsOld, oldSide, newSide)
  if (relative) tests.push(relative)
  const slow = slowCounts(policy, relative, oldSide, newSide)
  return { old: figures(oldSide, slow.old), new: figures(newSide, slow.new), tests }
}

function figures(s: SideWindow, slow: number): SideFigures {
  const errorRate = s.requests > 0 ? s.errors / s.requests : 0
  return { requests: s.requests, errors: s.errors, errorRate, p99Ms: s.p99Ms ?? null, slow }
}

function slowCounts(
  policy: AnalysisPolicy, relative: TestCounts | undefined, o: SideWindow, n: SideWindow,
): { old: number; new: number } {
  if (policy.maxP99Ms !== undefined) return { old: o.slowerThan(policy.maxP99Ms), new: n.slowerThan(policy.maxP99Ms) }
  return relative ? { old: relative.x0, new: relative.x1 } : { old: 0, new: 0 }
}

/** maxP99VsOld's counts at the pooled cut-off (docs/ANALYSIS.md §3); undefined without enough samples. */
function relativeTail(k: number, o: SideWindow, n: SideWindow): TestCounts | undefined {
  if (o.timed === 0 || n.timed === 0 || o.timed + n.timed < MIN_BASELINE_REQUESTS) return undefined
  const cut = pooledCutoff(k, o, n)
  return { check: 'maxP99VsOld', x1: n.slowerThan(k * cut), n1: n.timed, x0: o.slowerThan(cut), n0: o.timed }
}

/**
 * The largest c (to 0.1 %) with at least 1 % of old's and new/k's samples together above it: the
 * pooled p99. "At least" rather than "at most" matters when many new samples share one value
 * (histogram buckets): a uniformly slow new side then lands above c instead of defining it.
 */
function pooledCutoff(k: number, o: SideWindow, n: SideWindow): number {
  const wanted = Math.max(1, TAIL * (o.timed + n.timed))
  let lo = Math.log(1e-3)
  let hi = Math.log(1e7)
  while (hi - lo > 1e-3) {
    const mid = (lo + hi) / 2
    const c = Math.exp(mid)
    if (o.slowerThan(c) + n.slowerThan(k * c) >= wanted) lo = mid
    else hi = mid
  }
  return Math.exp(lo)
}

/** Fresh evidence for a rollout (re)starting at `step`. */
export function freshEvidence(policy: AnalysisPolicy, step: number): Evidence {
  const logs: Partial<Record<CheckName, number[][]>> = {}
  for (const check of configuredChecks(policy)) logs[check] = [freshLogs()]
  return { step, tally: emptyTally(), logs }
}

/**
 * The evidence at the start of `step`: tallies restart; each check starts one more SPRT (up to
 * `slots`, the number of judged steps). Leaving step −1 (0 %, nothing judged) starts none.
 */
export function startStep(e: Evidence, step: number, slots: number): Evidence {
  if (step === e.step) return e
  const logs: Partial<Record<CheckName, readonly (readonly number[])[]>> = {}
  for (const [check, rows] of entries(e.logs)) {
    logs[check] = e.step >= 0 && rows.length < slots ? [...rows, freshLogs()] : rows
  }
  const { last: _last, outside: _outside, ...rest } = e
  return { ...rest, step, tally: emptyTally(), logs }
}

/** Fold one closed window into the evidence. */
export function accumulate(policy: AnalysisPolicy, e: Evidence, w: WindowObservation): Evidence {
  const logs: Partial<Record<CheckName, number[][]>> = {}
  for (const [check, rows] of entries(e.logs)) logs[check] = rows.map((r) => [...r])
  // A check added by a reload mid-rollout starts its own test now (1 until then: still valid).
  for (const check of configuredChecks(policy)) logs[check] ??= [freshLogs()]
  for (const t of w.tests) for (const row of logs[t.check] ?? []) addTest(policy, row, t)
  const tally = { old: addTally(e.tally.old, w.old), new: addTally(e.tally.new, w.new) }
  const outside = w.outside && w.outside.length > 0 ? { outside: w.outside } : {}
  return { step: e.step, tally, logs, last: { old: w.old, new: w.new }, ...outside }
}

function addTest(policy: AnalysisPolicy, row: number[], t: TestCounts): void {
  switch (t.check) {
    case 'maxErrorRate': return addOneSample(row, t.x1, t.n1, policy.maxErrorRate ?? 0)
    case 'maxP99Ms': return addOneSample(row, t.x1, t.n1, TAIL)
    case 'maxMismatchRate': return addOneSample(row, t.x1, t.n1, policy.maxMismatchRate ?? 0)
    case 'maxErrorRateVsOld': return addConditional(row, t.x1, t.n1, t.x0, t.n0, policy.maxErrorRateVsOld ?? 1)
    case 'maxP99VsOld': return addConditional(row, t.x1, t.n1, t.x0, t.n0, 1)
  }
}

/** The verdict the evidence supports now. `slots`: the number of judged steps (see the header). */
export function assess(policy: AnalysisPolicy, e: Evidence, slots: number): Verdict {
  const checks = configuredChecks(policy)
  const bar = checks.length / policy.alpha
  const results: CheckResult[] = checks.map((check) => {
    const m = statistic(e.logs[check] ?? [], slots)
    return { check, pass: m < bar, m, bar, limit: policy[check] ?? 0 }
  })
  const failed = results.filter((c) => !c.pass).map((c) => c.check)
  const last = e.last ?? { old: noFigures(), new: noFigures() }
  const outside = e.outside ?? []
  const base = { failed, outside, checks: results, step: e.tally, old: last.old, new: last.new }
  if (failed.length > 0 || outside.some((c) => c.outcome === 'fail')) return { kind: 'fail', ...base }
  const seen = e.tally.new.requests
  const wanted = Math.max(1, policy.minRequests)
  const missing = [
    ...(seen < wanted ? [`${count(seen)} of ${count(wanted)} new-side requests at this step`] : []),
    ...outside.filter((c) => c.outcome === 'inconclusive').map((c) => c.summary),
  ]
  if (missing.length === 0) return { kind: 'pass', ...base }
  return { kind: 'inconclusive', ...base, missing: missing.join('; ') }
}

/**
 * The mixture over start times. Half the weight goes to the SPRT started with the rollout (a new
 * version is most often bad from its first request: it keeps all the evidence), the other half is
 * shared by the SPRTs started at later steps (a regression that only appears under more load).
 * Rows not started yet count as 1. The weights sum to 1, so the mixture is a test supermartingale
 * (docs/ANALYSIS.md §4).
 */
function statistic(rows: readonly (readonly number[])[], slots: number): number {
  const n = Math.max(slots, rows.length)
  if (n === 1) return rows.length > 0 ? mixture(rows[0]!) : 1
  const later = 0.5 / (n - 1)
  let sum = rows.length > 0 ? 0.5 * mixture(rows[0]!) : 0.5
  for (let i = 1; i < n; i++) sum += later * (i < rows.length ? mixture(rows[i]!) : 1)
  return sum
}

export function configuredChecks(policy: AnalysisPolicy): CheckName[] {
  return CHECK_NAMES.filter((c) => policy[c] !== undefined)
}

function entries(logs: Evidence['logs']): Array<[CheckName, readonly (readonly number[])[]]> {
  return CHECK_NAMES.flatMap((c) => (logs[c] ? [[c, logs[c]] as [CheckName, readonly (readonly number[])[]]] : []))
}

function emptyTally(): Evidence['tally'] {
  return { old: { requests: 0, errors: 0, slow: 0 }, new: { requests: 0, errors: 0, slow: 0 } }
}

function addTally(t: SideTally, f: SideFigures): SideTally {
  return { requests: t.requests + f.requests, errors: t.errors + f.errors, slow: t.slow + f.slow }
}

function noFigures(): SideFigures {
  return { requests: 0, errors: 0, errorRate: 0, p99Ms: null, slow: 0 }
}

function count(n: number): string {
  return n.toLocaleString('en-US')
}
