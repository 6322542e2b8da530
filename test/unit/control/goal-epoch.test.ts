import { describe, expect, it } from 'vitest'
import { goalEpoch } from '../../../src/control/goal-sync.js'
import type { HistoryEvent } from '../../../src/state/store.js'

const ev = (at: number, from: number, to: number, state: HistoryEvent['to']['state'] = 'progressing'): HistoryEvent =>
  ({ at, actor: 'schedule', reason: undefined, from: { percentBp: from, state }, to: { percentBp: to, state } })

describe('goalEpoch (which step and rollout the fleet counts since)', () => {
  it('the newest percent change begins the step, the newest rise from 0 the rollout', () => {
    const h = [ev(100, 0, 500), ev(200, 500, 1000), ev(250, 1000, 1000, 'paused'), ev(300, 1000, 2500)]
    expect(goalEpoch(h, 2500)).toEqual({ percentBp: 2500, stepStart: 300, rolloutStart: 100 })
  })

  it('a rollback begins a step at 0 and keeps the rollout; a resume from 0 begins a new rollout', () => {
    const h = [ev(100, 0, 500), ev(200, 500, 0, 'rolled_back')]
    expect(goalEpoch(h, 0)).toEqual({ percentBp: 0, stepStart: 200, rolloutStart: 100 })
    expect(goalEpoch([...h, ev(300, 0, 500)], 500)).toEqual({ percentBp: 500, stepStart: 300, rolloutStart: 300 })
  })

  it('without any percent change: since start, at the route\'s percent', () => {
    expect(goalEpoch([], 5000)).toEqual({ percentBp: 5000, stepStart: 0, rolloutStart: 0 })
    expect(goalEpoch([ev(100, 5000, 5000, 'paused')], 5000)).toEqual({ percentBp: 5000, stepStart: 0, rolloutStart: 0 })
  })
})
