import type { Side } from '../config/types.js'
import type { OutsideCheck } from './analysis.js'

/**
 * Goals: business outcomes per side (README "Judging business outcomes"; the interval's maths and
 * its measured error rates: docs/ANALYSIS.md §6 and §8).
 *
 * Each side has `users` (distinct sticky keys it served) and `converted` (distinct keys among them
 * that sent the goal's event). The verdict compares the rates p_new = converted/users on each side
 * through the lift p_new / p_old − 1, with an ALWAYS-VALID interval: a confidence sequence, so the
 * chance that the interval EVER excludes the true lift, over all the times it is looked at, is at
 * most alpha. Looking every second, or for weeks, does not inflate the error.
 *
 * Method: an asymptotic confidence sequence (Waudby-Smith, Arnold, Wu, Wang & Ramdas, "Time-uniform
 * central limit theory and asymptotic confidence sequences", 2023) for θ = ln(p_new / p_old).
 * θ̂ = ln(p̂_new / p̂_old) has, by the delta method, variance v = (1−p̂_new)/(n_new·p̂_new) +
 * (1−p̂_old)/(n_old·p̂_old); its information is I = 1/v. The information-weighted error
 * S = (θ̂ − θ)·I behaves like a Gaussian random walk with variance I, so Robbins' normal mixture
 * (mixing over the drift with precision ρ) is a nonnegative martingale, and by Ville's inequality
 * |S| stays below sqrt((I + ρ)·ln((I + ρ)/(ρ·α²))) at every time with probability ≥ 1 − α.
 * Dividing by I gives the half-width on θ; exponentiating gives the interval on the lift, which is
 * therefore asymmetric (a ratio can halve or double, it cannot go below −100 %).
 *
 * The guarantee is asymptotic (the delta method needs conversions): until each side has
 * MIN_CONVERSIONS conversions and MIN_CONVERSIONS non-conversions there is no interval at all and
 * the verdict is 'inconclusive'. test/unit/core/goals.test.ts checks by seeded simulation that the
 * interval, looked at after every batch of users, misses the true lift in at most alpha of runs.
 */

export type Better = 'higher' | 'lower'
export type GoalVerdict = 'better' | 'worse' | 'inconclusive'

/** The interval's level when the route has no rollout analysis (whose `alpha` it uses otherwise). */
export const DEFAULT_GOAL_ALPHA = 0.05

/** Counts before the delta method is trusted: each side needs this many conversions and non-conversions. */
export const MIN_CONVERSIONS = 10

/** The information (1 / variance of ln lift) at which the interval is tightest: ±≈0.1 on ln lift. */
const TIGHTEST_AT_INFORMATION = 400

/** One side's counts for a goal. */
export interface GoalCounts {
  readonly users: number
  readonly converted: number
  /** Sum of the events' values (revenue); 0 without values. */
  readonly value: number
}

/** One side as shown in `GET /api/routes/NAME` → `goals`. */
export interface GoalSideFigures extends GoalCounts {
  /** converted / users; 0 when no user was exposed. */
  readonly rate: number
}

/** README "Judging business outcomes": ROUTE.goals[NAME]. */
export interface GoalReport {
  readonly better: Better
  readonly old: GoalSideFigures
  readonly new: GoalSideFigures
  /** new rate / old rate − 1; null while old has no conversion (or either side no user). */
  readonly lift: number | null
  /** The always-valid interval on the lift; null until both sides have enough counts. */
  readonly interval: readonly [number, number] | null
  readonly verdict: GoalVerdict
}

/** The interval on the lift at level 1 − alpha, or null when the counts are too small to judge. */
export function liftInterval(o: GoalCounts, n: GoalCounts, alpha: number): [number, number] | null {
  if (!enough(o) || !enough(n)) return null
  const pOld = o.converted / o.users
  const pNew = n.converted / n.users
  const variance = (1 - pNew) / (n.users * pNew) + (1 - pOld) / (o.users * pOld)
  const center = Math.log(pNew / pOld)
  const half = halfWidth(1 / variance, alpha)
  return [Math.expm1(center - half), Math.expm1(center + half)]
}

/**
 * Half-width on θ of the normal-mixture boundary at information I (two-sided, level alpha),
 * ρ chosen so the boundary is tightest near TIGHTEST_AT_INFORMATION (Howard et al. 2021, eq. 3.
 * of "Time-uniform, nonparametric, nonasymptotic confidence sequences"; docs/ANALYSIS.md §6). ρ only moves where the
 * interval is narrowest; any ρ > 0 keeps the guarantee.
 */
export function halfWidth(information: number, alpha: number): number {
  const l = Math.log(1 / alpha)
  const rho = TIGHTEST_AT_INFORMATION / (2 * l + Math.log(1 + 2 * l))
  const v = information + rho
  return Math.sqrt(v * Math.log(v / (rho * alpha * alpha))) / information
}

/** better when the whole interval is on the good side of 0, worse when on the bad side. */
export function goalVerdict(interval: readonly [number, number] | null, better: Better): GoalVerdict {
  if (interval === null) return 'inconclusive'
  const [lo, hi] = interval
  if (lo > 0) return better === 'higher' ? 'better' : 'worse'
  if (hi < 0) return better === 'higher' ? 'worse' : 'better'
  return 'inconclusive'
}

/** The report of one goal from both sides' counts. */
export function goalReport(o: GoalCounts, n: GoalCounts, better: Better, alpha: number): GoalReport {
  const old = withRate(o)
  const neu = withRate(n)
  const lift = old.rate > 0 && n.users > 0 ? neu.rate / old.rate - 1 : null
  const interval = liftInterval(o, n, alpha)
  return { better, old, new: neu, lift, interval, verdict: goalVerdict(interval, better) }
}

/**
 * Attribution: an event counts for the side the key gets under the live state, and only when the
 * key was exposed on that side; otherwise it is ignored (a key seen only on the other side, or never).
 */
export function attribute(liveSide: Side, exposedOn: (side: Side) => boolean): Side | 'ignored' {
  return exposedOn(liveSide) ? liveSide : 'ignored'
}

function enough(c: GoalCounts): boolean {
  return c.converted >= MIN_CONVERSIONS && c.users - c.converted >= MIN_CONVERSIONS
}

function withRate(c: GoalCounts): GoalSideFigures {
  const rate = c.users > 0 ? c.converted / c.users : 0
  return { users: c.users, converted: c.converted, value: roundValue(c.value), rate }
}

/**
 * Sums of values (59.90 + 12.50 …) differ in their last bits with the order they were added in,
 * which differs between replicas replaying the same events: shown to a millionth, they agree.
 */
function roundValue(v: number): number {
  return Math.round(v * 1e6) / 1e6
}

/**
 * A goal as the rollout analysis sees it at a window's close (an OutsideCheck of kind 'goal').
 *
 * - Without maxLoss a goal is informational: always 'pass' (its figures still travel with the
 *   verdict into history and webhooks), so a goal never blocks a ramp unless asked to.
 * - With maxLoss it fails only on evidence: the always-valid interval's bound on the good side of
 *   the lift (the upper bound for `better: higher`, the lower bound for `lower`) is past maxLoss on
 *   the bad side — "worse by more than maxLoss, with evidence". Too few conversions to judge is
 *   'pass' too, not a hold: a ramp starting at 1 % may see no purchase for hours, and request
 *   figures (minRequests) already decide whether a step has seen enough traffic. maxLoss is a
 *   guard that rolls back on a proven loss, not a gate that waits for proof of no loss.
 */
export function goalCheck(name: string, report: GoalReport, maxLoss: number | undefined): OutsideCheck {
  const figures = goalFigures(report, maxLoss)
  const summary = goalSummary(name, report)
  return { kind: 'goal', name, outcome: lostMoreThan(report, maxLoss) ? 'fail' : 'pass', summary, figures }
}

/** "worse by more than maxLoss, with evidence" (see goalCheck). */
export function lostMoreThan(report: GoalReport, maxLoss: number | undefined): boolean {
  if (maxLoss === undefined || report.interval === null) return false
  const [lo, hi] = report.interval
  return report.better === 'higher' ? hi < -maxLoss : lo > maxLoss
}

/** One line: "purchase fell 25 % (interval −31 % … −18 %)"; the rate's direction, whatever `better` says. */
export function goalSummary(name: string, r: GoalReport): string {
  if (r.lift === null) return `${name}: too few conversions to judge (old ${r.old.converted} of ${r.old.users} users, new ${r.new.converted} of ${r.new.users})`
  const moved = Math.round(Math.abs(r.lift) * 100)
  const head = moved === 0 ? `${name} unchanged` : `${name} ${r.lift < 0 ? 'fell' : 'rose'} ${moved} %`
  if (r.interval === null) return `${head} (too few conversions for an interval yet)`
  return `${head} (interval ${signedPercent(r.interval[0])} … ${signedPercent(r.interval[1])})`
}

function signedPercent(x: number): string {
  const p = Math.round(x * 100)
  return p === 0 ? '0 %' : `${p < 0 ? '−' : '+'}${Math.abs(p)} %`
}

function goalFigures(r: GoalReport, maxLoss: number | undefined): Record<string, number | null> {
  return {
    lift: r.lift, intervalLow: r.interval?.[0] ?? null, intervalHigh: r.interval?.[1] ?? null, maxLoss: maxLoss ?? null,
    oldUsers: r.old.users, oldConverted: r.old.converted, oldRate: r.old.rate,
    newUsers: r.new.users, newConverted: r.new.converted, newRate: r.new.rate,
  }
}
