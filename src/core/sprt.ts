/**
 * Mixture sequential probability ratio tests on binomial counts (README "Automatic rollouts"; the
 * formulas and why every look is valid: docs/ANALYSIS.md §2).
 *
 * Each test keeps, for every candidate effect r in EFFECT_GRID, the log likelihood ratio of
 * "the new side is r times worse than its limit" against "it is exactly at its limit", summed over
 * the windows seen so far. The mixture M = mean over r of exp(logLR_r) has expectation ≤ 1 at every
 * look while the new side is within its limit (a test supermartingale), so by Ville's inequality
 * P[M ever reaches 1/α] ≤ α: looking every window, holding for a night, or a share that changes
 * between windows does not inflate the false-alarm rate. A real regression makes the matching
 * logLR_r grow linearly with the data, so M crosses any fixed bar.
 *
 * Only logs are stored (plain numbers, JSON-safe): they are clamped to ±LOG_CAP so that a
 * degenerate limit (maxErrorRate 0 and one error) cannot produce Infinity or NaN.
 */

/** Alternatives mixed with equal weight: the regression is 1.5×, 2×, 3×, 5× or 10× the limit. */
export const EFFECT_GRID: readonly number[] = [1.5, 2, 3, 5, 10]

const LOG_CAP = 700

/** A fresh row of log likelihood ratios, one per grid point: M = 1. */
export function freshLogs(): number[] {
  return EFFECT_GRID.map(() => 0)
}

/**
 * One-sample test: x events among n trials, null "event rate ≤ p0" (absolute error rate, or the
 * share of requests slower than an absolute p99 limit, p0 = 1 %). Alternative q = r·p0, kept below 1.
 */
export function addOneSample(logs: number[], x: number, n: number, p0: number): void {
  if (n <= 0 || p0 >= 1) return
  for (let i = 0; i < EFFECT_GRID.length; i++) {
    const q = alternativeRate(p0, EFFECT_GRID[i]!)
    logs[i] = clamp(logs[i]! + term(x, q, p0) + term(n - x, 1 - q, 1 - p0))
  }
}

/**
 * Conditional two-sample test (the split of K = x1 + x0 events between the sides): null "new's rate
 * ≤ ratio × old's", under which an event lands on new with probability at most
 * π0 = ratio·n1 / (ratio·n1 + n0); alternative π_r with ratio·r in place of ratio. A problem that
 * hits both sides alike (a shared database) moves x1 and x0 together and leaves the split alone.
 * A window where either side saw nothing carries no information and is skipped (factor 1).
 */
export function addConditional(logs: number[], x1: number, n1: number, x0: number, n0: number, ratio: number): void {
  if (n1 <= 0 || n0 <= 0 || x1 + x0 === 0) return
  const pi0 = (ratio * n1) / (ratio * n1 + n0)
  for (let i = 0; i < EFFECT_GRID.length; i++) {
    const scaled = ratio * EFFECT_GRID[i]! * n1
    const pi = scaled / (scaled + n0)
    logs[i] = clamp(logs[i]! + term(x1, pi, pi0) + term(x0, 1 - pi, 1 - pi0))
  }
}

/** M for one row: the equal-weight mixture over the grid. */
export function mixture(logs: readonly number[]): number {
  let sum = 0
  for (const l of logs) sum += Math.exp(l)
  return sum / logs.length
}

/** r·p0, or halfway between p0 and 1 when r·p0 would reach 1 (still a valid alternative). */
function alternativeRate(p0: number, r: number): number {
  if (p0 <= 0) return Math.min(1, 0.01 * r)
  const q = r * p0
  return q < 1 ? q : (1 + p0) / 2
}

/** count · ln(a / b), zero when count is 0 (so 0 · ln 0 never becomes NaN). */
function term(count: number, a: number, b: number): number {
  return count === 0 ? 0 : count * Math.log(a / b)
}

function clamp(v: number): number {
  if (Number.isNaN(v)) return 0
  return v > LOG_CAP ? LOG_CAP : v < -LOG_CAP * 1e3 ? -LOG_CAP * 1e3 : v
}
