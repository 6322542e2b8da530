import { describe, expect, it } from 'vitest'
import { attribute, goalCheck, goalReport, goalSummary, goalVerdict, halfWidth, liftInterval, lostMoreThan, MIN_CONVERSIONS, type GoalCounts } from '../../../src/core/goals.js'
import { seededRandom, type Random } from '../../../src/util/random.js'

const counts = (users: number, converted: number, value = 0): GoalCounts => ({ users, converted, value })

describe('goal report', () => {
  it('rates, lift and a verdict from both sides', () => {
    const r = goalReport(counts(10_000, 1000, 5000), counts(10_000, 700, 3000), 'higher', 0.05)
    expect(r.old).toEqual({ users: 10_000, converted: 1000, value: 5000, rate: 0.1 })
    expect(r.new.rate).toBeCloseTo(0.07)
    expect(r.lift).toBeCloseTo(-0.3)
    expect(r.interval![0]).toBeLessThan(-0.3)
    expect(r.interval![1]).toBeLessThan(0)
    expect(r.interval![1]).toBeGreaterThan(-0.3)
    expect(r.verdict).toBe('worse')
  })

  it('better: lower turns a drop into "better" (fewer support contacts)', () => {
    const r = goalReport(counts(10_000, 1000), counts(10_000, 700), 'lower', 0.05)
    expect(r.verdict).toBe('better')
    expect(goalReport(counts(10_000, 700), counts(10_000, 1000), 'lower', 0.05).verdict).toBe('worse')
  })

  it('no interval, no lift and inconclusive while the counts are too small', () => {
    const r = goalReport(counts(0, 0), counts(0, 0), 'higher', 0.05)
    expect(r).toMatchObject({ lift: null, interval: null, verdict: 'inconclusive' })
    expect(r.old.rate).toBe(0)
    const few = goalReport(counts(1000, MIN_CONVERSIONS - 1), counts(1000, 500), 'higher', 0.05)
    expect(few.interval).toBeNull()
    expect(few.lift).toBeCloseTo(500 / 9 - 1)
    // every user converted: no non-conversions, the delta method has nothing to stand on
    expect(liftInterval(counts(50, 50), counts(50, 20), 0.05)).toBeNull()
  })

  it('inconclusive while the interval holds 0', () => {
    expect(goalVerdict([-0.1, 0.05], 'higher')).toBe('inconclusive')
    expect(goalVerdict([0.01, 0.05], 'higher')).toBe('better')
    expect(goalReport(counts(2000, 100), counts(2000, 104), 'higher', 0.05).verdict).toBe('inconclusive')
  })

  it('the interval narrows as information grows, and is wider at a smaller alpha', () => {
    expect(halfWidth(100, 0.05)).toBeGreaterThan(halfWidth(1000, 0.05))
    expect(halfWidth(1000, 0.05)).toBeGreaterThan(halfWidth(10_000, 0.05))
    expect(halfWidth(1000, 0.01)).toBeGreaterThan(halfWidth(1000, 0.05))
    // always-valid costs width: wider than the fixed-time 95 % interval (1.96 σ)
    expect(halfWidth(1000, 0.05)).toBeGreaterThan(1.96 / Math.sqrt(1000))
  })
})

describe('attribution', () => {
  it('counts for the live side only when the key was exposed there', () => {
    expect(attribute('new', (s) => s === 'new')).toBe('new')
    expect(attribute('old', (s) => s === 'new')).toBe('ignored')
    expect(attribute('old', () => false)).toBe('ignored')
  })
})

/**
 * Coverage, the interval's whole promise: users arrive in batches, each goes to new with the share's
 * probability and converts with its side's rate; after EVERY batch the interval is looked at. A run
 * "misses" when any look excludes the true lift. At most alpha of runs may miss.
 */
type Interval = (o: GoalCounts, n: GoalCounts, alpha: number) => readonly [number, number] | null

function missesTrueLift(
  rand: Random,
  pOld: number,
  lift: number,
  share: number,
  batches: number,
  batch: number,
  alpha: number,
  interval: Interval = liftInterval,
): boolean {
  const pNew = pOld * (1 + lift)
  let nOld = 0, xOld = 0, nNew = 0, xNew = 0
  for (let b = 0; b < batches; b++) {
    for (let i = 0; i < batch; i++) {
      if (rand() < share) { nNew++; if (rand() < pNew) xNew++ } else { nOld++; if (rand() < pOld) xOld++ }
    }
    const iv = interval(counts(nOld, xOld), counts(nNew, xNew), alpha)
    if (iv !== null && (lift < iv[0] || lift > iv[1])) return true
  }
  return false
}

describe('always-valid coverage (seeded simulation, looked at after every batch)', () => {
  const RUNS = 300
  const scenarios: Array<[string, number, number, number, number]> = [
    // name, old rate, true lift, share on new, alpha
    ['5 % conversion, no lift, 10 % share', 0.05, 0, 0.1, 0.05],
    ['5 % conversion, −25 % lift, 50 % share', 0.05, -0.25, 0.5, 0.05],
    ['30 % conversion, +10 % lift, 5 % share', 0.3, 0.1, 0.05, 0.05],
    ['2 % conversion, +50 % lift, 20 % share, alpha 0.1', 0.02, 0.5, 0.2, 0.1],
  ]
  for (const [name, pOld, lift, share, alpha] of scenarios) {
    it(`${name}: misses the true lift in ≤ alpha of runs`, () => {
      const rand = seededRandom(1300 + Math.round(pOld * 1000) + Math.round(lift * 100))
      let misses = 0
      for (let r = 0; r < RUNS; r++) if (missesTrueLift(rand, pOld, lift, share, 100, 200, alpha)) misses++
      expect(misses / RUNS).toBeLessThanOrEqual(alpha)
    })
  }

  it('the simulation can fail: a fixed-time 95 % interval (±1.96 σ) looked at as often misses in > alpha', () => {
    const naive = (o: GoalCounts, n: GoalCounts): [number, number] | null => {
      const iv = liftInterval(o, n, 0.05)
      if (iv === null) return null
      const c = Math.log((n.converted / n.users) / (o.converted / o.users))
      const s = Math.sqrt((1 - n.converted / n.users) / n.converted + (1 - o.converted / o.users) / o.converted)
      return [Math.expm1(c - 1.96 * s), Math.expm1(c + 1.96 * s)]
    }
    const rand = seededRandom(5)
    let misses = 0
    for (let r = 0; r < 100; r++) if (missesTrueLift(rand, 0.05, 0, 0.1, 100, 200, 0.05, naive)) misses++
    expect(misses / 100).toBeGreaterThan(0.1)
  })

  it('power: a 30 % drop at 5 % conversion and a 50 % share is called "worse" within 20,000 users', () => {
    const rand = seededRandom(77)
    let worse = 0
    for (let r = 0; r < 100; r++) {
      let nOld = 0, xOld = 0, nNew = 0, xNew = 0
      for (let i = 0; i < 20_000; i++) {
        if (rand() < 0.5) { nNew++; if (rand() < 0.035) xNew++ } else { nOld++; if (rand() < 0.05) xOld++ }
      }
      if (goalReport(counts(nOld, xOld), counts(nNew, xNew), 'higher', 0.05).verdict === 'worse') worse++
    }
    expect(worse).toBeGreaterThanOrEqual(90)
  })
})

describe('goal check (the analysis\' view of a goal)', () => {
  const worse = goalReport(counts(10_000, 1000), counts(10_000, 750), 'higher', 0.05)

  it('fails when the interval\'s good-side bound is past maxLoss on the bad side, with a one-line summary', () => {
    expect(worse.interval![1]).toBeLessThan(-0.1)
    const c = goalCheck('purchase', worse, 0.1)
    expect(c).toMatchObject({ kind: 'goal', name: 'purchase', outcome: 'fail' })
    expect(c.summary).toMatch(/^purchase fell 25 % \(interval −\d+ % … −\d+ %\)$/)
    expect(c.figures).toMatchObject({
      lift: worse.lift, intervalLow: worse.interval![0], intervalHigh: worse.interval![1],
      maxLoss: 0.1, oldUsers: 10_000, newConverted: 750,
    })
  })

  it('passes a loss smaller than maxLoss or not yet proven beyond it', () => {
    expect(goalCheck('purchase', worse, 0.3).outcome).toBe('pass') // the interval reaches above −30 %
    expect(goalCheck('purchase', goalReport(counts(300, 30), counts(300, 20), 'higher', 0.05), 0.1).outcome).toBe('pass')
  })

  it('without maxLoss a goal is informational: pass even when clearly worse', () => {
    expect(worse.verdict).toBe('worse')
    expect(goalCheck('purchase', worse, undefined).outcome).toBe('pass')
  })

  it('too few conversions: pass (never holds the ramp), the summary says so', () => {
    const c = goalCheck('purchase', goalReport(counts(40, 0), counts(3, 0), 'higher', 0.05), 0.1)
    expect(c.outcome).toBe('pass')
    expect(c.summary).toBe('purchase: too few conversions to judge (old 0 of 40 users, new 0 of 3)')
    expect(goalCheck('purchase', goalReport(counts(1000, 12), counts(1000, 9), 'higher', 0.05), 0.1).summary).toBe('purchase fell 25 % (too few conversions for an interval yet)')
  })

  it('better: lower fails when new rises by more than maxLoss, with evidence', () => {
    const more = goalReport(counts(10_000, 700), counts(10_000, 1000), 'lower', 0.05)
    expect(lostMoreThan(more, 0.2)).toBe(true)
    const c = goalCheck('support', more, 0.2)
    expect(c.outcome).toBe('fail')
    expect(c.summary).toMatch(/^support rose 43 % \(interval \+\d+ % … \+\d+ %\)$/)
    // a drop is good news for `lower`: never a failure
    expect(goalCheck('support', goalReport(counts(10_000, 1000), counts(10_000, 700), 'lower', 0.05), 0.01).outcome).toBe('pass')
  })

  it('the summary rounds to whole percents and signs each bound', () => {
    expect(goalSummary('purchase', { ...worse, lift: 0.001, interval: [-0.05, 0.061] })).toBe('purchase unchanged (interval −5 % … +6 %)')
  })
})

describe('goal values', () => {
  it('sums are shown to a millionth, the same whatever order they were added in', () => {
    const a = 0.1 + 0.2 + 59.9
    const b = 59.9 + 0.2 + 0.1
    expect(a).not.toBe(b)
    expect(goalReport(counts(10, 3, a), counts(0, 0), 'higher', 0.05).old.value).toBe(goalReport(counts(10, 3, b), counts(0, 0), 'higher', 0.05).old.value)
  })
})

/**
 * The maxLoss rule judged as the rollout does, after every window: a new side exactly AT its limit
 * (true loss = maxLoss) must rarely fail (≤ alpha of steps), and one well past it must be caught.
 */
describe('maxLoss judged every window (seeded simulation)', () => {
  function failsSomeWindow(rand: Random, pOld: number, lift: number, better: 'higher' | 'lower', maxLoss: number, windows: number, perWindow: number): boolean {
    const pNew = pOld * (1 + lift)
    let nOld = 0, xOld = 0, nNew = 0, xNew = 0
    for (let w = 0; w < windows; w++) {
      for (let i = 0; i < perWindow; i++) {
        if (rand() < 0.5) { nNew++; if (rand() < pNew) xNew++ } else { nOld++; if (rand() < pOld) xOld++ }
      }
      if (goalCheck('g', goalReport(counts(nOld, xOld), counts(nNew, xNew), better, 0.05), maxLoss).outcome === 'fail') return true
    }
    return false
  }
  const RUNS = 200

  it('a new side exactly at maxLoss (−10 %, better: higher) fails in ≤ alpha of steps, looked at every window', () => {
    const rand = seededRandom(41)
    let fails = 0
    for (let r = 0; r < RUNS; r++) if (failsSomeWindow(rand, 0.2, -0.1, 'higher', 0.1, 60, 200)) fails++
    expect(fails / RUNS).toBeLessThanOrEqual(0.05)
  })

  it('better: lower, a new side exactly at maxLoss (+10 %) fails in ≤ alpha of steps', () => {
    const rand = seededRandom(42)
    let fails = 0
    for (let r = 0; r < RUNS; r++) if (failsSomeWindow(rand, 0.2, 0.1, 'lower', 0.1, 60, 200)) fails++
    expect(fails / RUNS).toBeLessThanOrEqual(0.05)
  })

  it('a new side 30 % worse (limit 10 %) is caught within 12,000 users in ≥ 90 % of steps', () => {
    const rand = seededRandom(43)
    let caught = 0
    for (let r = 0; r < 100; r++) if (failsSomeWindow(rand, 0.2, -0.3, 'higher', 0.1, 60, 200)) caught++
    expect(caught).toBeGreaterThanOrEqual(90)
  })
})
