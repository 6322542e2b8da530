import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy, RolloutPolicy } from '../../../src/config/types.js'
import { observe } from '../../../src/core/analysis.js'
import { step, type RolloutLive } from '../../../src/core/rollout.js'
import { SideCounts } from '../../../src/observe/analysis-windows.js'
import { seededRandom } from '../../../src/util/random.js'
import { rates } from '../../helpers/rollout-sim.js'

/**
 * The contract of README "Automatic rollouts", measured on seeded simulations of the pure core:
 * a healthy new side is rolled back in at most `alpha` of rollouts however long they run and at
 * whatever share; a 2× or 3× regression is caught before the ramp completes.
 */
const W = 60_000
const analysis = (over: Partial<AnalysisPolicy> = {}): AnalysisPolicy => ({
  windowMs: W, minRequests: 100, failureLimit: 2, alpha: 0.05,
  maxErrorRate: 0.1, maxP99Ms: undefined, maxErrorRateVsOld: 1, maxP99VsOld: undefined, ...over,
})
const ramp = (a: AnalysisPolicy): RolloutPolicy =>
  ({ stepsBp: [100, 500, 1000, 2500, 5000, 10_000], intervalMs: 5 * W, schedule: undefined, analysis: a })
const held = (bp: number, a: AnalysisPolicy): RolloutLive => ({ percentBp: bp, state: 'paused', step: ramp(a).stepsBp.indexOf(bp), stepSince: 0 })

const RUNS = 1000

describe('analysis simulation (seeded, pure core)', () => {
  const healthy: Array<[string, number, number]> = [
    ['1 % share, 0.1 % errors', 100, 0.001], ['5 % share, 1 % errors', 500, 0.01],
    ['10 % share, 0.1 % errors', 1000, 0.001], ['50 % share, 1 % errors', 5000, 0.01],
  ]
  for (const [name, bp, p] of healthy) {
    it(`healthy, held 50 windows at ${name}: false rollbacks ≤ alpha`, () => {
      const a = analysis()
      const sc = {
        policy: ramp(a), perWindow: 10_000, oldErrorRate: p, newErrorRate: p, windows: 50, start: held(bp, a),
      }
      const r = rates(sc, RUNS, seededRandom(bp))
      expect(r.rolledBack).toBeLessThanOrEqual(a.alpha)
    })
  }

  it('a new side exactly at its limits (2 × old, ρ = 2; 2 % absolute, limit 2 %), held 50 windows at 10 %: false rollbacks ≤ alpha', () => {
    const a = analysis({ maxErrorRateVsOld: 2, maxErrorRate: 0.02 })
    const sc = {
      policy: ramp(a), perWindow: 10_000, oldErrorRate: 0.01, newErrorRate: 0.02, windows: 50, start: held(1000, a),
    }
    const r = rates(sc, RUNS, seededRandom(11))
    expect(r.rolledBack).toBeLessThanOrEqual(a.alpha)
  })

  it('healthy full ramp (1 % errors, ρ = 1): false rollbacks ≤ alpha, and it completes', () => {
    const a = analysis()
    const sc = { policy: ramp(a), perWindow: 10_000, oldErrorRate: 0.01, newErrorRate: 0.01, windows: 50 }
    const r = rates(sc, RUNS, seededRandom(7))
    expect(r.rolledBack).toBeLessThanOrEqual(a.alpha)
    expect(r.completed).toBeGreaterThanOrEqual(1 - a.alpha)
  })

  const regressions: Array<[string, number, number]> = [['2×', 0.01, 0.02], ['3×', 0.01, 0.03]]
  for (const [name, p0, p1] of regressions) {
    for (const bp of [500, 1000]) {
      it(`${name} errors held at ${bp / 100} % (≥ 500 new-side requests a window): caught in ≥ 95 %`, () => {
        const a = analysis()
        const sc = {
          policy: ramp(a), perWindow: 10_000, oldErrorRate: p0, newErrorRate: p1, windows: 50, start: held(bp, a),
        }
        const r = rates(sc, RUNS, seededRandom(bp + 1))
        expect(r.rolledBack).toBeGreaterThanOrEqual(0.95)
      })
    }
    it(`${name} errors over a full ramp from 5 %: caught in ≥ 95 %, never promoted`, () => {
      const a = analysis()
      const policy = { ...ramp(a), stepsBp: [500, 1000, 2500, 5000, 10_000] }
      const sc = { policy, perWindow: 10_000, oldErrorRate: p0, newErrorRate: p1, windows: 50 }
      const r = rates(sc, RUNS, seededRandom(3))
      expect(r.rolledBack).toBeGreaterThanOrEqual(0.95)
      expect(r.completed).toBe(0)
    })
  }
})

describe('latency simulation (seeded; real window histograms, lognormal latencies)', () => {
  const RUNS_P99 = 200
  const WINDOWS = 25
  const PER_WINDOW = 1000
  const SHARE = 0.1
  const p99Policy = (k: number): RolloutPolicy =>
    ramp(analysis({ maxErrorRate: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: k }))

  /** Share of runs rolled back when new's latencies are old's (lognormal, median 20 ms, σ 0.5) times `scale`. */
  function rolledBack(k: number, scale: number, seed: number): number {
    const random = seededRandom(seed)
    const lognormal = () =>
      20 * Math.exp(0.5 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()))
    const policy = p99Policy(k)
    let rolled = 0
    for (let run = 0; run < RUNS_P99; run++) {
      let live: RolloutLive = held(1000, policy.analysis!)
      for (let w = 1; w <= WINDOWS && live.state !== 'rolled_back'; w++) {
        const old = new SideCounts()
        const neu = new SideCounts()
        for (let i = 0; i < PER_WINDOW; i++) {
          if (random() < SHARE) neu.record(scale * lognormal(), false)
          else old.record(lognormal(), false)
        }
        const r = step(policy, live, { type: 'tick', now: w * W, windowOpen: true, window: observe(policy.analysis!, old, neu) })
        if (r.ok) live = r.next
      }
      if (live.state === 'rolled_back') rolled++
    }
    return rolled / RUNS_P99
  }

  it('maxP99VsOld: a new side exactly at its limit (same latencies at k = 1; 1.5× slower at k = 1.5) is rolled back in ≤ alpha of runs', () => {
    expect(rolledBack(1, 1, 21)).toBeLessThanOrEqual(0.05)
    expect(rolledBack(1.5, 1.5, 22)).toBeLessThanOrEqual(0.05)
  })

  it('maxP99VsOld 1.5: a new side 2× slower throughout is caught in ≥ 95 % of runs', () => {
    expect(rolledBack(1.5, 2, 23)).toBeGreaterThanOrEqual(0.95)
  })
})
