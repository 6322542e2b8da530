import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy } from '../../../src/config/types.js'
import { evaluate, type SideWindow } from '../../../src/core/analysis.js'
import { binomialUpperTail } from '../../../src/core/stats.js'

function bruteUpperTail(n: number, p: number, k: number): number {
  let sum = 0
  let c = 1 // C(n, 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) sum += c * p ** i * (1 - p) ** (n - i)
    c = (c * (n - i)) / (i + 1)
  }
  return sum
}

/** A side whose latencies are `fast` ms except `slow` requests at `slowMs`. */
function side(requests: number, errors: number, opts: { slow?: number; slowMs?: number; fastMs?: number } = {}): SideWindow {
  const slow = opts.slow ?? 0
  const slowMs = opts.slowMs ?? 1000
  const fastMs = opts.fastMs ?? 20
  return {
    requests, errors,
    p99Ms: requests === 0 ? undefined : slow >= Math.ceil(requests * 0.01) ? slowMs : fastMs,
    slowerThan: (ms) => (slowMs > ms ? slow : 0) + (fastMs > ms ? requests - slow : 0),
  }
}

const policy: AnalysisPolicy = {
  windowMs: 60_000, minRequests: 100, failureLimit: 2,
  maxErrorRate: 0.05, maxP99Ms: 500, maxErrorRateVsOld: 2, maxP99VsOld: 1.5,
}

describe('binomialUpperTail', () => {
  it('matches a brute-force sum', () => {
    for (const [n, p, k] of [[10, 0.3, 3], [100, 0.01, 2], [100, 0.01, 5], [50, 0.5, 40], [11, 0.01, 1], [200, 0.2, 0], [30, 0.9, 31]] as const) {
      expect(binomialUpperTail(n, p, k)).toBeCloseTo(bruteUpperTail(n, p, k), 12)
    }
  })

  it('stays finite and accurate for large n', () => {
    // Bin(1e6, 0.001): mean 1000, sd ≈ 31.6; P[X ≥ 1100] is about 0.0009 (normal approx ≈ 0.00078).
    const p = binomialUpperTail(1_000_000, 0.001, 1100)
    expect(p).toBeGreaterThan(0.0005)
    expect(p).toBeLessThan(0.0015)
    expect(binomialUpperTail(1_000_000, 0.001, 500)).toBeCloseTo(1, 10)
  })
})

describe('evaluate (one window)', () => {
  it('does not judge below minRequests: insufficient, never a failure', () => {
    const v = evaluate(policy, side(5000, 5), side(99, 99))
    expect(v.kind).toBe('insufficient')
    expect(v.new).toMatchObject({ requests: 99, errors: 99, errorRate: 1 })
  })

  it('one unlucky error at 1 % traffic is not significant (exact conditional test, p ≈ 0.105 at ρ = 1)', () => {
    const v = evaluate({ ...policy, maxErrorRateVsOld: 1, maxErrorRate: undefined }, side(9900, 10), side(100, 1))
    expect(v.kind).toBe('pass')
    expect(v.checks.find((c) => c.check === 'maxErrorRateVsOld')?.pValue).toBeCloseTo(1 - 0.99 ** 11, 6)
  })

  it('20 % errors on new against 0.1 % on old fails both error checks', () => {
    const v = evaluate(policy, side(9900, 10), side(100, 20))
    expect(v.kind).toBe('fail')
    expect(v.failed).toEqual(['maxErrorRate', 'maxErrorRateVsOld'])
  })

  it('the relative check needs a practical difference too (the floor)', () => {
    // Old has no errors at all; new has 1 in 10,000: significant-looking ratio, negligible size.
    const v = evaluate({ ...policy, maxErrorRate: undefined }, side(1_000_000, 0), side(10_000, 1))
    expect(v.failed).not.toContain('maxErrorRateVsOld')
  })

  it('a problem shared by both sides cancels out in the relative check', () => {
    const v = evaluate({ ...policy, maxErrorRate: undefined }, side(9000, 900), side(1000, 110))
    expect(v.kind).toBe('pass')
  })

  it('fails maxP99Ms when clearly more than 1 % of new is slower than the limit, not on one slow request', () => {
    expect(evaluate(policy, side(5000, 0), side(200, 0, { slow: 1, slowMs: 900 })).kind).toBe('pass')
    const v = evaluate(policy, side(5000, 0), side(200, 0, { slow: 30, slowMs: 900 }))
    expect(v.failed).toContain('maxP99Ms')
  })

  it('fails maxP99VsOld against old\'s p99 times the factor', () => {
    // Old p99 20 ms → cutoff 30 ms; new answers in 45 ms throughout (below the 500 ms absolute limit).
    const v = evaluate(policy, side(5000, 0), side(300, 0, { fastMs: 45 }))
    expect(v.failed).toEqual(['maxP99VsOld'])
    expect(evaluate(policy, side(5000, 0), side(300, 0, { fastMs: 25 })).kind).toBe('pass')
  })

  it('skips relative checks without a baseline on old', () => {
    const v = evaluate(policy, side(0, 0), side(300, 0))
    expect(v.checks.map((c) => c.check)).toEqual(['maxErrorRate', 'maxP99Ms'])
    expect(v.kind).toBe('pass')
  })
})
