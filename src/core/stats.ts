/**
 * Exact binomial tails, computed in log space so they stay accurate for the counts a proxy sees
 * (n up to millions, p down to 1e-6). Pure and allocation-free. The method: docs/ANALYSIS.md §8.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]

/** ln Γ(x) for x > 0 (Lanczos, g = 7): about 15 significant digits. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const z = x - 1
  let a = LANCZOS[0]!
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

function logBinomPmf(n: number, k: number, p: number): number {
  if (p <= 0) return k === 0 ? 0 : -Infinity
  if (p >= 1) return k === n ? 0 : -Infinity
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p)
}

/** P[X ≥ k] for X ~ Binomial(n, p): the one-sided p-value of seeing k or more events. */
export function binomialUpperTail(n: number, p: number, k: number): number {
  if (k <= 0) return 1
  if (k > n || p <= 0) return 0
  if (p >= 1) return 1
  // Sum whichever tail lies away from the mode, where the terms fall geometrically and the sum
  // converges in a few standard deviations at any n: above the mean the upper tail itself, below
  // it the lower tail P[X ≤ k − 1], returned as its complement (≥ about 0.5, so no cancellation).
  if (k > n * p) return Math.min(1, tailSum(n, p, k, 1))
  return Math.max(0, 1 - tailSum(n, p, k - 1, -1))
}

/** Σ pmf(i) from i = k outwards (dir 1: up to n; dir −1: down to 0), stopping at negligible terms. */
function tailSum(n: number, p: number, k: number, dir: 1 | -1): number {
  const up = p / (1 - p)
  let sum = 0
  let term = 1
  for (let i = k; i >= 0 && i <= n; i += dir) {
    sum += term
    // pmf(i+1)/pmf(i) = (n−i)/(i+1)·p/(1−p); pmf(i−1)/pmf(i) = i/(n−i+1)·(1−p)/p.
    term *= dir === 1 ? ((n - i) / (i + 1)) * up : (i / (n - i + 1)) / up
    if (term < 1e-18 * sum) break
  }
  return Math.exp(logBinomPmf(n, k, p) + Math.log(sum))
}
