import { describe, expect, it } from 'vitest'
import type { RolloutPolicy } from '../../../src/config/types.js'
import type { Verdict } from '../../../src/core/analysis.js'
import { step, type RolloutLive, type RolloutEvent } from '../../../src/core/rollout.js'

const MIN = 60_000
const policy: RolloutPolicy = {
  stepsBp: [100, 500, 1000, 10_000],
  intervalMs: 10 * MIN,
  schedule: undefined,
  analysis: { windowMs: MIN, minRequests: 100, failureLimit: 2, maxErrorRate: 0.01, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined },
}
const figures = { requests: 100, errors: 0, errorRate: 0, p99Ms: 10 }
const verdict = (kind: Verdict['kind']): Verdict => ({ kind, failed: kind === 'fail' ? ['maxErrorRate'] : [], old: figures, new: figures, checks: [] })
const tick = (now: number, v?: Verdict['kind'], windowOpen = true): RolloutEvent => ({ type: 'tick', now, windowOpen, verdict: v ? verdict(v) : undefined })
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

  it('advances no faster than the interval, and only after a passing verdict', () => {
    const s0 = run(policy, start, tick(0)).next
    expect(run(policy, s0, tick(5 * MIN, 'pass')).next).toBe(s0) // too early
    expect(run(policy, s0, tick(10 * MIN, 'insufficient')).next).toBe(s0) // not enough traffic: hold
    expect(run(policy, s0, tick(10 * MIN)).next).toBe(s0) // no verdict yet: hold
    const s1 = run(policy, s0, tick(10 * MIN, 'pass'))
    expect(s1.next).toMatchObject({ percentBp: 500, step: 1, stepSince: 10 * MIN })
  })

  it('completes at the last step', () => {
    let live = run(policy, start, tick(0)).next
    for (let i = 1; i <= 3; i++) live = run(policy, live, tick(i * 10 * MIN, 'pass')).next
    expect(live).toMatchObject({ percentBp: 10_000, state: 'completed', step: 3 })
    expect(run(policy, live, tick(99 * MIN, 'fail')).next).toBe(live) // a completed rollout is left alone
  })

  it('rolls back after failureLimit consecutive failures; a pass in between resets the count', () => {
    const s0 = { percentBp: 500, state: 'progressing', step: 1, stepSince: 0 } as const
    const f1 = run(policy, s0, tick(MIN, 'fail'))
    expect(f1.next).toMatchObject({ percentBp: 500, failures: 1 })
    expect(f1.transition).toBeUndefined()
    const p = run(policy, f1.next, tick(2 * MIN, 'pass')).next
    expect(p.failures).toBe(0)
    const f2 = run(policy, run(policy, p, tick(3 * MIN, 'fail')).next, tick(4 * MIN, 'fail'))
    expect(f2.next).toMatchObject({ percentBp: 0, state: 'rolled_back', step: -1 })
    expect(f2.transition).toMatchObject({ actor: 'analysis', notify: 'rolled_back', reason: expect.stringContaining('maxErrorRate') })
    expect(f2.transition?.verdict?.kind).toBe('fail')
  })

  it('insufficient neither counts as a failure nor resets the count', () => {
    const f1 = run(policy, { percentBp: 500, state: 'progressing', step: 1, stepSince: 0 }, tick(MIN, 'fail')).next
    const i = run(policy, f1, tick(2 * MIN, 'insufficient')).next
    expect(i.failures).toBe(1)
    expect(run(policy, i, tick(3 * MIN, 'fail')).next.state).toBe('rolled_back')
  })

  it('analysis rolls back a paused or waiting rollout too', () => {
    const paused: RolloutLive = { percentBp: 500, state: 'paused', step: 1, failures: 1 }
    expect(run(policy, paused, tick(MIN, 'fail')).next.state).toBe('rolled_back')
    const waiting: RolloutLive = { percentBp: 500, state: 'waiting', step: 1, failures: 1 }
    expect(run(policy, waiting, tick(MIN, 'fail', false)).next.state).toBe('rolled_back')
  })

  it('a paused rollout does not advance', () => {
    const paused: RolloutLive = { percentBp: 500, state: 'paused', step: 1, stepSince: 0 }
    expect(run(policy, paused, tick(60 * MIN, 'pass')).next).toBe(paused)
  })

  describe('schedule windows', () => {
    const hold = { ...policy, schedule: { timezone: 'UTC', windows: [], outside: 'hold' as const } }
    const lower = { ...policy, schedule: { timezone: 'UTC', windows: [], outside: { percentBp: 100 } } }
    const s1: RolloutLive = { percentBp: 500, state: 'progressing', step: 1, stepSince: 0 }

    it('outside a window: waiting, percent held, no advance even when due', () => {
      const w = run(hold, s1, tick(60 * MIN, 'pass', false))
      expect(w.next).toMatchObject({ state: 'waiting', percentBp: 500, step: 1 })
      expect(w.transition?.actor).toBe('schedule')
      expect(run(hold, w.next, tick(70 * MIN, 'pass', false)).next).toBe(w.next)
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
