import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy } from '../../../src/config/types.js'
import { accumulate, assess, freshEvidence, observe, startStep, type Evidence, type SideWindow } from '../../../src/core/analysis.js'
import { addConditional, addOneSample, freshLogs, mixture } from '../../../src/core/sprt.js'

/** P[X ≥ k] for X ~ Bin(n, p), summed term by term: exact enough for the small n used here. */
function bruteUpperTail(n: number, p: number, k: number): number {
  let sum = 0
  let c = 1 // C(n, 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) sum += c * p ** i * (1 - p) ** (n - i)
    c = (c * (n - i)) / (i + 1)
  }
  return sum
}

/** A side whose latencies are `fastMs` except `slow` requests at `slowMs`; `untimed` requests have no latency. */
function side(
  requests: number, errors: number, opts: { slow?: number; slowMs?: number; fastMs?: number; untimed?: number } = {},
): SideWindow {
  const slow = opts.slow ?? 0
  const slowMs = opts.slowMs ?? 1000
  const fastMs = opts.fastMs ?? 20
  const timed = requests - (opts.untimed ?? 0)
  return {
    requests, errors, timed,
    p99Ms: timed === 0 ? undefined : slow >= Math.ceil(timed * 0.01) ? slowMs : fastMs,
    slowerThan: (ms) => (slowMs > ms ? slow : 0) + (fastMs > ms ? timed - slow : 0),
  }
}

const policy: AnalysisPolicy = {
  windowMs: 60_000, minRequests: 100, failureLimit: 2, alpha: 0.05,
  maxErrorRate: 0.05, maxP99Ms: 500, maxErrorRateVsOld: 2, maxP99VsOld: 1.5,
}
const only = (over: Partial<AnalysisPolicy>): AnalysisPolicy => ({
  ...policy,
  maxErrorRate: undefined, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined,
  ...over,
})

/** Fold `windows` identical windows into fresh evidence at step 0 and assess it (one judged step). */
function run(p: AnalysisPolicy, oldSide: SideWindow, newSide: SideWindow, windows = 1, slots = 1) {
  let e: Evidence = freshEvidence(p, 0)
  for (let i = 0; i < windows; i++) e = accumulate(p, e, observe(p, oldSide, newSide))
  return { evidence: e, verdict: assess(p, e, slots) }
}

describe('mixture SPRT (core/sprt)', () => {
  it('starts at M = 1 and a window without information leaves it there', () => {
    const logs = freshLogs()
    addConditional(logs, 0, 100, 0, 9900, 1)
    addConditional(logs, 3, 0, 5, 100, 1)
    addOneSample(logs, 0, 0, 0.01)
    expect(mixture(logs)).toBe(1)
  })

  it('clamps degenerate limits: maxErrorRate 0 and one error is overwhelming evidence, still a finite JSON number', () => {
    const logs = freshLogs()
    addOneSample(logs, 1, 100, 0)
    expect(mixture(logs)).toBeGreaterThan(1e100)
    expect(JSON.parse(JSON.stringify(logs))).toEqual(logs)
  })

  it('under the null its expectation is at most 1 (exact sum over the binomial)', () => {
    // E[M] after one window of Bin(200, 1 %) at p0 = 1 %: exactly 1 for a likelihood ratio.
    let expectation = 0
    for (let x = 0; x <= 200; x++) {
      const logs = freshLogs()
      addOneSample(logs, x, 200, 0.01)
      expectation += (bruteUpperTail(200, 0.01, x) - bruteUpperTail(200, 0.01, x + 1)) * mixture(logs)
    }
    expect(expectation).toBeCloseTo(1, 9)
  })
})

describe('observe (one window → test counts)', () => {
  it('counts p99 tests over latency samples only: fallbacks and worker results without a duration are not in n', () => {
    const w = observe(only({ maxP99Ms: 500 }), side(1000, 0), side(300, 0, { untimed: 100, slow: 2 }))
    expect(w.tests).toEqual([{ check: 'maxP99Ms', x1: 2, n1: 200, x0: 0, n0: 0 }])
    expect(w.new).toMatchObject({ requests: 300, slow: 2 })
  })

  it('maxP99VsOld cuts both sides at the pooled 99th percentile (old, and new ÷ k)', () => {
    // Old: 20 ms with 1 % at 100 ms; new: 45 ms throughout; k = 1.5. The pooled p99 of old and new ÷ k
    // sits just below 30 ms (45 ÷ 1.5), so all of new and old's 1 % lie above it.
    const w = observe(
      only({ maxP99VsOld: 1.5 }), side(5000, 0, { slow: 50, slowMs: 100 }), side(300, 0, { fastMs: 45 }),
    )
    const t = w.tests.find((x) => x.check === 'maxP99VsOld')
    expect(t).toMatchObject({ n1: 300, n0: 5000, x1: 300 })
    expect(t!.x0).toBeLessThanOrEqual(50)
  })

  it('skips the relative p99 test without enough samples', () => {
    expect(observe(only({ maxP99VsOld: 1.5 }), side(0, 0), side(50, 0)).tests).toEqual([])
  })
})

describe('assess (accumulated evidence)', () => {
  it('too few new-side requests at this step: inconclusive, says what is missing, never a failure', () => {
    const { verdict } = run(policy, side(5000, 5), side(30, 0), 1)
    expect(verdict.kind).toBe('inconclusive')
    expect(verdict.missing).toBe('30 of 100 new-side requests at this step')
  })

  it('minRequests is summed over the windows of a step, not required per window', () => {
    expect(run(policy, side(5000, 5), side(30, 0), 4).verdict.kind).toBe('pass')
  })

  it('a gross failure at low traffic fails although no window reaches minRequests', () => {
    // 2 requests a window, one of them failing (50 %): old's 0.1 %-ish errors.
    const p = only({ maxErrorRate: 0.05, maxErrorRateVsOld: 2 })
    let windows = 0
    let e = freshEvidence(p, 0)
    while (assess(p, e, 1).kind !== 'fail' && windows < 100) { e = accumulate(p, e, observe(p, side(1000, 1), side(2, 1))); windows++ }
    expect(windows).toBeLessThan(20)
  })

  it('evidence accumulates: a 2× regression no single window can show fails after enough windows', () => {
    // 10 % share, 1 % vs 2 % errors: 9,000 old / 1,000 new a window; ρ = 1.
    const p = only({ maxErrorRateVsOld: 1 })
    expect(run(p, side(9000, 90), side(1000, 20), 1).verdict.kind).toBe('pass')
    expect(run(p, side(9000, 90), side(1000, 20), 6).verdict.kind).toBe('fail')
  })

  it('no fixed floor: a 10× regression at a 0.01 % baseline is caught', () => {
    // Old 1 error per 10,000; new 1 per 1,000 (0.1 − 0.01 = 0.09 points: below the old 0.1-point floor).
    const p = only({ maxErrorRateVsOld: 1 })
    expect(run(p, side(90_000, 9), side(10_000, 10), 3).verdict.kind).toBe('fail')
  })

  it('a problem shared by both sides cancels out in the relative check', () => {
    expect(run(only({ maxErrorRateVsOld: 2 }), side(9000, 900), side(1000, 110), 20).verdict.kind).toBe('pass')
  })

  it('fails maxP99Ms when clearly more than 1 % of new is slower than the limit, not on one slow request', () => {
    const p = only({ maxP99Ms: 500 })
    expect(run(p, side(5000, 0), side(200, 0, { slow: 1, slowMs: 900 }), 5).verdict.kind).toBe('pass')
    expect(run(p, side(5000, 0), side(200, 0, { slow: 30, slowMs: 900 }), 1).verdict.failed).toEqual(['maxP99Ms'])
  })

  it('fails maxP99VsOld when new is slower than k × old, passes when within', () => {
    const p = only({ maxP99VsOld: 1.5 })
    expect(run(p, side(5000, 0), side(300, 0, { fastMs: 45 }), 1).verdict.failed).toEqual(['maxP99VsOld'])
    expect(run(p, side(5000, 0), side(300, 0, { fastMs: 25 }), 20).verdict.kind).toBe('pass')
  })

  it('splits alpha across the configured checks (Bonferroni): bar = C / alpha', () => {
    const { verdict } = run(policy, side(5000, 5), side(300, 0), 1)
    expect(verdict.checks.map((c) => [c.check, c.bar])).toEqual([
      ['maxErrorRate', 80], ['maxErrorRateVsOld', 80], ['maxP99Ms', 80], ['maxP99VsOld', 80],
    ])
    expect(assess({ ...policy, alpha: 0.01 }, freshEvidence(policy, 0), 1).checks[0]!.bar).toBe(400)
  })

  it('mixes over step starts: half on the rollout-long SPRT, a step not yet started counts as 1, a new step starts one more', () => {
    const p = only({ maxErrorRate: 0.05 })
    const e0 = freshEvidence(p, 0)
    expect(assess(p, e0, 4).checks[0]!.m).toBeCloseTo(1, 12)
    const bad = accumulate(p, e0, observe(p, side(100, 0), side(100, 10)))
    const alone = assess(p, bad, 1).checks[0]!.m
    expect(assess(p, bad, 4).checks[0]!.m).toBeCloseTo(0.5 * alone + 0.5, 9)
    const e1 = startStep(accumulate(p, e0, observe(p, side(100, 0), side(100, 0))), 1, 4)
    expect(e1.logs.maxErrorRate).toHaveLength(2)
    expect(e1.tally.new.requests).toBe(0)
    // Leaving step −1 (0 %, nothing judged) starts no extra SPRT.
    expect(startStep(freshEvidence(p, -1), 0, 4).logs.maxErrorRate).toHaveLength(1)
  })

  it('a check added by a reload mid-rollout starts accumulating at once', () => {
    const before = only({ maxErrorRate: 0.05 })
    const after = only({ maxErrorRate: 0.05, maxErrorRateVsOld: 1 })
    let e = freshEvidence(before, 0)
    for (let i = 0; i < 5; i++) e = accumulate(after, e, observe(after, side(9000, 9), side(1000, 30)))
    expect(assess(after, e, 1).failed).toContain('maxErrorRateVsOld')
  })
})

describe('outside checks (goals, metric checks)', () => {
  const p = only({ maxErrorRate: 0.05 })
  const healthy = (outside: Parameters<typeof accumulate>[2]['outside']) => {
    const window = { ...observe(p, side(500, 0), side(500, 0)), ...(outside ? { outside } : {}) }
    const e = accumulate(p, freshEvidence(p, 0), window)
    return { e, v: assess(p, e, 1) }
  }

  it('a failing outside check fails an otherwise passing verdict', () => {
    const { v } = healthy([{ kind: 'goal', name: 'purchase', outcome: 'fail', summary: 'purchase fell 25 %' }])
    expect(v.kind).toBe('fail')
    expect(v.failed).toEqual([])
    expect(v.outside).toEqual([{ kind: 'goal', name: 'purchase', outcome: 'fail', summary: 'purchase fell 25 %' }])
  })

  it('an inconclusive outside check holds with its summary as what is missing', () => {
    const { v } = healthy([{ kind: 'metric', name: 'app-errors', outcome: 'inconclusive', summary: 'app-errors: no data' }])
    expect(v.kind).toBe('inconclusive')
    expect(v.missing).toBe('app-errors: no data')
  })

  it('passing outside checks leave the verdict as the request figures say', () => {
    expect(healthy([{ kind: 'goal', name: 'purchase', outcome: 'pass', summary: 'purchase +3 %' }]).v.kind).toBe('pass')
    expect(healthy(undefined).v).toMatchObject({ kind: 'pass', outside: [] })
  })

  it('a new step starts with no outside results (none judged there yet)', () => {
    const { e } = healthy([{ kind: 'metric', name: 'app-errors', outcome: 'fail', summary: 'x' }])
    expect(startStep(e, 1, 2).outside).toBeUndefined()
    expect(assess(p, startStep(e, 1, 2), 2).outside).toEqual([])
  })
})
