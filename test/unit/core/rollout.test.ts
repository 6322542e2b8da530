import { describe, expect, it } from 'vitest'
import type { RolloutPolicy } from '../../../src/config/types.js'
import { observe, type SideWindow, type WindowObservation } from '../../../src/core/analysis.js'
import { step, type RolloutLive, type RolloutEvent } from '../../../src/core/rollout.js'

const MIN = 60_000
const policy: RolloutPolicy = {
  stepsBp: [100, 500, 1000, 10_000],
  intervalMs: 10 * MIN,
  schedule: undefined,
  analysis: {
    windowMs: MIN, minRequests: 100, failureLimit: 2, alpha: 0.05,
    maxErrorRate: 0.01, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined,
  },
}
const side = (requests: number, errors: number): SideWindow =>
  ({ requests, errors, timed: requests, p99Ms: 10, slowerThan: () => 0 })
/**
 * Windows: 'pass' 200 clean new-side requests; 'fail' half of 100 failing (far over any bar);
 * 'inconclusive' 10 clean ones.
 */
type Kind = 'pass' | 'fail' | 'inconclusive'
const NEW: Record<Kind, [number, number]> = { pass: [200, 0], fail: [100, 50], inconclusive: [10, 0] }
const win = (kind: Kind): WindowObservation => observe(policy.analysis!, side(10_000, 10), side(...NEW[kind]))
const tick = (now: number, v?: Kind, windowOpen = true): RolloutEvent => ({ type: 'tick', now, windowOpen, window: v ? win(v) : undefined })
const start: RolloutLive = { percentBp: 0, state: 'progressing', step: -1 }

function run(p: RolloutPolicy | undefined, live: RolloutLive, ev: RolloutEvent) {
  const r = step(p, live, ev)
  if (!r.ok) throw new Error(r.message)
  return r
}

describe('rollout state machine', () => {
  it('takes the first step at once (nothing to judge at 0 %)', () => {
    const r = run(policy, start, tick(0))
    expect(r.next).toMatchObject({ percentBp: 100, step: 0, state: 'progressing', stepSince: 0 })
    expect(r.transition).toMatchObject({ actor: 'schedule' })
  })

  it('advances no faster than the interval, and only with minRequests judged at this step', () => {
    const s0 = run(policy, start, tick(0)).next
    const early = run(policy, s0, tick(5 * MIN, 'pass')).next
    expect(early).toMatchObject({ percentBp: 100, step: 0 }) // too early (the window is counted)
    expect(early.evidence?.tally.new.requests).toBe(200)
    expect(run(policy, s0, tick(10 * MIN, 'inconclusive')).next).toMatchObject({ percentBp: 100, step: 0 }) // 10 of 100: hold
    expect(run(policy, s0, tick(10 * MIN)).next.percentBp).toBe(100) // nothing judged at this step: hold
    const s1 = run(policy, s0, tick(10 * MIN, 'pass'))
    expect(s1.next).toMatchObject({ percentBp: 500, step: 1, stepSince: 10 * MIN })
    // The evidence is carried into the next step; its tallies start again.
    expect(s1.next.evidence).toMatchObject({ step: 1, tally: { new: { requests: 0 } } })
  })

  it('a due step with too little evidence holds, once recorded in history with what is missing', () => {
    const s0 = run(policy, start, tick(0)).next
    const held = run(policy, s0, tick(10 * MIN, 'inconclusive'))
    expect(held.next).toMatchObject({ percentBp: 100, step: 0, heldStep: 0 })
    expect(held.transition).toMatchObject({ actor: 'analysis', record: true, reason: 'holding step 1/4: inconclusive, 10 of 100 new-side requests at this step' })
    expect(held.transition?.verdict?.kind).toBe('inconclusive')
    const again = run(policy, held.next, tick(11 * MIN, 'inconclusive'))
    expect(again.transition).toBeUndefined()
  })

  it('minRequests is summed over the windows of a step (the old judge needed it in one window)', () => {
    let live = run(policy, start, tick(0)).next
    for (let w = 1; w <= 9; w++) live = run(policy, live, tick(w * MIN, 'inconclusive')).next
    expect(live.percentBp).toBe(100) // 90 of 100
    live = run(policy, live, tick(10 * MIN, 'inconclusive')).next
    expect(live).toMatchObject({ percentBp: 500, step: 1 }) // 100 of 100, nothing over its bar
  })

  it('completes at the last step', () => {
    let live = run(policy, start, tick(0)).next
    for (let i = 1; i <= 3; i++) live = run(policy, live, tick(i * 10 * MIN, 'pass')).next
    expect(live).toMatchObject({ percentBp: 10_000, state: 'completed', step: 3 })
    expect(run(policy, live, tick(99 * MIN, 'fail')).next).toBe(live) // a completed rollout is left alone
  })

  it('rolls back after failureLimit consecutive windows with evidence over the bar', () => {
    const s0 = { percentBp: 500, state: 'progressing', step: 1, stepSince: 0 } as const
    const f1 = run(policy, s0, tick(MIN, 'fail'))
    expect(f1.next).toMatchObject({ percentBp: 500, failures: 1 })
    expect(f1.transition).toBeUndefined()
    const f2 = run(policy, f1.next, tick(2 * MIN, 'pass'))
    expect(f2.next).toMatchObject({ percentBp: 0, state: 'rolled_back', step: -1 })
    expect(f2.transition).toMatchObject({ actor: 'analysis', notify: 'rolled_back', reason: expect.stringContaining('maxErrorRate') })
    expect(f2.transition?.verdict?.kind).toBe('fail')
    // The evidence that led to it stays for status; a restart starts afresh.
    expect(f2.next.evidence?.tally.new.errors).toBe(50)
    expect(run(policy, f2.next, { type: 'resume', now: 3 * MIN, actor: 'admin' }).next.evidence).toBeUndefined()
  })

  it('a window over the bar on a due step never advances it', () => {
    const s0 = { percentBp: 500, state: 'progressing', step: 1, stepSince: 0 } as const
    expect(run(policy, s0, tick(60 * MIN, 'fail')).next).toMatchObject({ percentBp: 500, failures: 1 })
  })

  it('inconclusive neither counts as a failure nor resets the count', () => {
    const live: RolloutLive = { percentBp: 500, state: 'progressing', step: 1, stepSince: 0, failures: 1 }
    const i = run(policy, live, tick(2 * MIN, 'inconclusive')).next
    expect(i.failures).toBe(1)
  })

  it('analysis rolls back a paused or waiting rollout too', () => {
    const paused: RolloutLive = { percentBp: 500, state: 'paused', step: 1, failures: 1 }
    expect(run(policy, paused, tick(MIN, 'fail')).next.state).toBe('rolled_back')
    const waiting: RolloutLive = { percentBp: 500, state: 'waiting', step: 1, failures: 1 }
    expect(run(policy, waiting, tick(MIN, 'fail', false)).next.state).toBe('rolled_back')
  })

  it('while paused a passing window resets the failure count (it used to count failures only)', () => {
    const paused: RolloutLive = { percentBp: 500, state: 'paused', step: 1, stepSince: 0, failures: 1 }
    const p = run(policy, paused, tick(MIN, 'pass')).next
    expect(p).toMatchObject({ state: 'paused', failures: 0 })
  })

  it('a paused rollout does not advance, but keeps its evidence across pause and resume', () => {
    const paused: RolloutLive = { percentBp: 500, state: 'paused', step: 1, stepSince: 0 }
    const p = run(policy, paused, tick(60 * MIN, 'pass')).next
    expect(p).toMatchObject({ percentBp: 500, state: 'paused', step: 1 })
    const resumed = run(policy, p, { type: 'resume', now: 61 * MIN, actor: 'admin' }).next
    expect(resumed.evidence?.tally.new.requests).toBe(200)
  })

  describe('schedule windows', () => {
    const hold = { ...policy, schedule: { timezone: 'UTC', windows: [], outside: 'hold' as const } }
    const lower = { ...policy, schedule: { timezone: 'UTC', windows: [], outside: { percentBp: 100 } } }
    const s1: RolloutLive = { percentBp: 500, state: 'progressing', step: 1, stepSince: 0 }

    it('outside a window: waiting, percent held, no advance even when due', () => {
      const w = run(hold, s1, tick(60 * MIN, 'pass', false))
      expect(w.next).toMatchObject({ state: 'waiting', percentBp: 500, step: 1 })
      expect(w.transition?.actor).toBe('schedule')
      expect(run(hold, w.next, tick(70 * MIN, 'pass', false)).next).toMatchObject({ state: 'waiting', percentBp: 500, step: 1 })
    })

    it('outside: N lowers the percent and the ramp returns to where it was at the next window', () => {
      const w = run(lower, s1, tick(60 * MIN, 'pass', false)).next
      expect(w).toMatchObject({ state: 'waiting', percentBp: 100, resumeBp: 500 })
      const back = run(lower, w, tick(120 * MIN, 'pass', true))
      expect(back.next).toMatchObject({ state: 'progressing', percentBp: 500, step: 1, stepSince: 120 * MIN })
      expect(back.next.resumeBp).toBeUndefined()
      // the interval counts again from the window's opening
      expect(run(lower, back.next, tick(125 * MIN, 'pass')).next.percentBp).toBe(500)
      expect(run(lower, back.next, tick(130 * MIN, 'pass')).next.percentBp).toBe(1000)
    })

    it('outside: N never raises a percent that is already lower', () => {
      const low: RolloutLive = { percentBp: 50, state: 'progressing', step: 0, stepSince: 0 }
      expect(run(lower, low, tick(MIN, undefined, false)).next).toMatchObject({ state: 'waiting', percentBp: 50 })
    })
  })

  describe('commands', () => {
    const s1: RolloutLive = { percentBp: 500, state: 'progressing', step: 1, stepSince: 0, failures: 1 }

    it('pause only a progressing or waiting rollout', () => {
      expect(run(policy, s1, { type: 'pause', now: 1, actor: 'admin' }).next.state).toBe('paused')
      const r = step(policy, { percentBp: 0, state: 'rolled_back', step: -1 }, { type: 'pause', now: 1, actor: 'admin' })
      expect(r).toMatchObject({ ok: false, message: expect.stringContaining('rolled_back') })
    })

    it('resume after a rollback starts again from the first step', () => {
      const rb = run(policy, s1, { type: 'rollback', now: 1, actor: 'admin', reason: 'bad deploy' })
      expect(rb.next).toMatchObject({ percentBp: 0, state: 'rolled_back' })
      expect(rb.transition).toMatchObject({ actor: 'admin', reason: 'bad deploy', notify: 'rolled_back' })
      const resumed = run(policy, rb.next, { type: 'resume', now: 2, actor: 'admin' }).next
      expect(resumed).toMatchObject({ state: 'progressing', step: -1, percentBp: 0 })
      expect(run(policy, resumed, tick(3)).next).toMatchObject({ percentBp: 100, step: 0 })
    })

    it('resume after pause or a manual percent continues from the step at or below the percent', () => {
      const paused = run(policy, s1, { type: 'pause', now: 1, actor: 'admin' }).next
      expect(run(policy, paused, { type: 'resume', now: 2, actor: 'admin' }).next).toMatchObject({ state: 'progressing', step: 1, percentBp: 500 })
      const manual = run(policy, s1, { type: 'set-percent', now: 1, actor: 'admin', percentBp: 700 }).next
      expect(manual).toMatchObject({ state: 'manual', percentBp: 700 })
      expect(manual.failures).toBeUndefined()
      expect(run(policy, manual, { type: 'resume', now: 2, actor: 'admin' }).next).toMatchObject({ step: 1, percentBp: 700 })
    })

    it('promote goes to 100 % and completed; without a rollout it stays manual', () => {
      expect(run(policy, s1, { type: 'promote', now: 1, actor: 'admin' }).next).toMatchObject({ percentBp: 10_000, state: 'completed', step: 3 })
      expect(run(undefined, { percentBp: 5, state: 'manual', step: -1 }, { type: 'promote', now: 1, actor: 'admin' }).next).toMatchObject({ percentBp: 10_000, state: 'manual' })
    })

    it('resume without a rollout block is refused with a reason', () => {
      expect(step(undefined, { percentBp: 5, state: 'manual', step: -1 }, { type: 'resume', now: 1, actor: 'admin' })).toMatchObject({ ok: false })
    })

    it('without a rollout, ticks change nothing', () => {
      const m: RolloutLive = { percentBp: 5, state: 'manual', step: -1 }
      expect(run(undefined, m, tick(1, 'fail')).next).toBe(m)
    })
  })
})
