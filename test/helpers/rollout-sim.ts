import type { RolloutPolicy } from '../../src/config/types.js'
import { observe, type SideWindow } from '../../src/core/analysis.js'
import { step, type RolloutLive } from '../../src/core/rollout.js'
import type { Random } from '../../src/util/random.js'

/**
 * Simulated rollouts through the real pure core (observe → step): each window draws error counts
 * for both sides from binomials at the live percent, and the state machine decides. Latency is not
 * simulated here (the error checks carry the budget; latency checks are unit-tested on counts).
 */
export interface Scenario {
  readonly policy: RolloutPolicy
  /** Requests per window, both sides together. */
  readonly perWindow: number
  readonly oldErrorRate: number
  readonly newErrorRate: number
  readonly windows: number
  /** Where a run starts (default: before the first step, progressing). */
  readonly start?: RolloutLive
}

export interface Outcome {
  readonly rolledBack: boolean
  readonly completed: boolean
  /** The window of the rollback (1-based), when rolled back. */
  readonly at: number | undefined
}

export function simulate(sc: Scenario, random: Random): Outcome {
  const analysis = sc.policy.analysis
  if (!analysis) throw new Error('a scenario needs an analysis block')
  let live: RolloutLive = sc.start ?? { percentBp: 0, state: 'progressing', step: -1 }
  const windowMs = analysis.windowMs
  live = next(sc.policy, live, 0, undefined)
  for (let w = 1; w <= sc.windows; w++) {
    const share = live.percentBp / 10_000
    const n1 = binomial(random, sc.perWindow, share)
    const n0 = sc.perWindow - n1
    const oldSide = side(n0, binomial(random, n0, sc.oldErrorRate))
    const win = observe(analysis, oldSide, side(n1, binomial(random, n1, sc.newErrorRate)))
    const before = live
    live = next(sc.policy, live, w * windowMs, win)
    if (live.state === 'rolled_back' && before.state !== 'rolled_back') return { rolledBack: true, completed: false, at: w }
    if (live.state === 'completed') return { rolledBack: false, completed: true, at: undefined }
  }
  return { rolledBack: false, completed: false, at: undefined }
}

function next(
  policy: RolloutPolicy, live: RolloutLive, now: number, window: ReturnType<typeof observe> | undefined,
): RolloutLive {
  const r = step(policy, live, { type: 'tick', now, windowOpen: true, window })
  if (!r.ok) throw new Error(r.message)
  return r.next
}

function side(requests: number, errors: number): SideWindow {
  return { requests, errors, timed: requests, p99Ms: undefined, slowerThan: () => 0 }
}

/** Bin(n, p): inversion for small means, a rounded normal (continuity-corrected) above. */
export function binomial(random: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0
  if (p >= 1) return n
  const mean = n * p
  if (mean < 40) {
    let k = 0
    let pmf = (1 - p) ** n
    let cdf = pmf
    const u = random()
    while (u > cdf && k < n) {
      pmf *= ((n - k) / (k + 1)) * (p / (1 - p))
      k++
      cdf += pmf
    }
    return k
  }
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  return Math.min(n, Math.max(0, Math.round(mean + z * Math.sqrt(mean * (1 - p)))))
}

/** Share of runs with each outcome. */
export function rates(
  sc: Scenario, runs: number, random: Random,
): { rolledBack: number; completed: number; medianWindow: number | undefined } {
  let rolledBack = 0
  let completed = 0
  const at: number[] = []
  for (let i = 0; i < runs; i++) {
    const o = simulate(sc, random)
    if (o.rolledBack) { rolledBack++; at.push(o.at ?? 0) }
    if (o.completed) completed++
  }
  at.sort((a, b) => a - b)
  const medianWindow = at.length ? at[Math.floor(at.length / 2)] : undefined
  return { rolledBack: rolledBack / runs, completed: completed / runs, medianWindow }
}
