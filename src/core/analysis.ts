import type { AnalysisPolicy } from '../config/types.js'
import { binomialUpperTail } from './stats.js'

/**
 * The canary judge: one evaluation window, new side against old side and against absolute limits.
 *
 * Every check is a one-sided exact test at SIGNIFICANCE, so a 1 % canary is not rolled back on
 * noise (one unlucky error among 100 requests) and is rolled back fast on a real regression:
 * - maxErrorRate L: P[Bin(n_new, L) ≥ errors_new] < α.
 * - maxErrorRateVsOld ρ: conditional binomial test (NOTES-rollouts.md §2.1). Given K errors on both
 *   sides, if new's rate were at most ρ × old's, each error would land on new with probability at
 *   most π0 = ρ·n_new / (ρ·n_new + n_old); fail when P[Bin(K, π0) ≥ errors_new] < α AND the rates
 *   differ by more than ERROR_RATE_FLOOR. It is exact at any count (unlike the z-test, whose real
 *   false-alarm rate at 1 % traffic is several times its nominal one), needs only four counters, and
 *   a failure hitting both sides alike (a shared database) cancels out.
 * - maxP99Ms c, maxP99VsOld k: "p99 ≤ c" is "at most 1 % slower than c"; count the new side's
 *   requests slower than c (c = k × old's p99 for the relative check) and fail when
 *   P[Bin(n_new, 0.01) ≥ slow] < α. A p99 from 100 requests is just the slowest request; the count
 *   test uses all of them.
 * Below `minRequests` on the new side the window is not judged: 'insufficient' holds the step and is
 * never a failure (no rollback at night for lack of traffic).
 */

/** α for every check: p < 0.01. */
export const SIGNIFICANCE = 0.01
/** The smallest error-rate difference worth a rollback, whatever the p-value (the "small floor"). */
export const ERROR_RATE_FLOOR = 0.001
/** The old side needs this many requests for its p99 to be a baseline. */
export const MIN_BASELINE_REQUESTS = 100

/** One side's figures for one window. */
export interface SideWindow {
  readonly requests: number
  /** 5xx answers and transport errors. */
  readonly errors: number
  /** Estimated p99 latency, ms; undefined without requests. */
  readonly p99Ms: number | undefined
  /** How many requests took longer than `ms`. */
  slowerThan(ms: number): number
}

export type CheckName = 'maxErrorRate' | 'maxErrorRateVsOld' | 'maxP99Ms' | 'maxP99VsOld'

export interface SideFigures {
  readonly requests: number
  readonly errors: number
  readonly errorRate: number
  readonly p99Ms: number | null
}

export interface CheckResult {
  readonly check: CheckName
  readonly pass: boolean
  readonly pValue: number
  /** The limit as configured and what was observed (rate, or ms). */
  readonly limit: number
  readonly observed: number
}

export interface Verdict {
  readonly kind: 'pass' | 'fail' | 'insufficient'
  readonly failed: readonly CheckName[]
  readonly old: SideFigures
  readonly new: SideFigures
  readonly checks: readonly CheckResult[]
}

export function evaluate(policy: AnalysisPolicy, oldSide: SideWindow, newSide: SideWindow): Verdict {
  const figures = { old: sideFigures(oldSide), new: sideFigures(newSide) }
  if (newSide.requests < policy.minRequests || newSide.requests === 0) {
    return { kind: 'insufficient', failed: [], checks: [], ...figures }
  }
  const checks: CheckResult[] = []
  if (policy.maxErrorRate !== undefined) checks.push(absoluteErrors(policy.maxErrorRate, newSide))
  if (policy.maxErrorRateVsOld !== undefined && oldSide.requests > 0) checks.push(relativeErrors(policy.maxErrorRateVsOld, oldSide, newSide))
  if (policy.maxP99Ms !== undefined) checks.push(tailCheck('maxP99Ms', policy.maxP99Ms, policy.maxP99Ms, newSide))
  if (policy.maxP99VsOld !== undefined && oldSide.requests >= MIN_BASELINE_REQUESTS && oldSide.p99Ms !== undefined) {
    checks.push(tailCheck('maxP99VsOld', policy.maxP99VsOld, policy.maxP99VsOld * oldSide.p99Ms, newSide))
  }
  const failed = checks.filter((c) => !c.pass).map((c) => c.check)
  return { kind: failed.length > 0 ? 'fail' : 'pass', failed, checks, ...figures }
}

function sideFigures(s: SideWindow): SideFigures {
  return { requests: s.requests, errors: s.errors, errorRate: s.requests > 0 ? s.errors / s.requests : 0, p99Ms: s.p99Ms ?? null }
}

function absoluteErrors(limit: number, s: SideWindow): CheckResult {
  const pValue = binomialUpperTail(s.requests, limit, s.errors)
  return { check: 'maxErrorRate', pass: pValue >= SIGNIFICANCE, pValue, limit, observed: s.errors / s.requests }
}

function relativeErrors(ratio: number, o: SideWindow, n: SideWindow): CheckResult {
  const total = o.errors + n.errors
  const pi0 = (ratio * n.requests) / (ratio * n.requests + o.requests)
  const pValue = binomialUpperTail(total, pi0, n.errors)
  const excess = n.errors / n.requests - ratio * (o.errors / o.requests)
  return { check: 'maxErrorRateVsOld', pass: pValue >= SIGNIFICANCE || excess <= ERROR_RATE_FLOOR, pValue, limit: ratio, observed: n.errors / n.requests }
}

function tailCheck(check: 'maxP99Ms' | 'maxP99VsOld', limit: number, cutoffMs: number, s: SideWindow): CheckResult {
  const slow = s.slowerThan(cutoffMs)
  const pValue = binomialUpperTail(s.requests, 0.01, slow)
  return { check, pass: pValue >= SIGNIFICANCE, pValue, limit, observed: s.p99Ms ?? 0 }
}
