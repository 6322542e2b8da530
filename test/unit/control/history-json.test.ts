import { describe, expect, it } from 'vitest'
import { historyJson } from '../../../src/control/status.js'

describe('historyJson', () => {
  it('gives ISO times, percents, and figures only when present, oldest first', () => {
    const json = historyJson([
      { at: Date.UTC(2026, 4, 4, 9), actor: 'admin', reason: undefined, from: { percentBp: 0, state: 'manual' }, to: { percentBp: 700, state: 'manual' } },
      { at: Date.UTC(2026, 4, 4, 10), actor: 'analysis', reason: 'maxErrorRate', from: { percentBp: 700, state: 'progressing' }, to: { percentBp: 0, state: 'rolled_back' }, figures: { errorRate: 0.2 } },
    ])

    expect(json).toEqual({
      events: [
        { at: '2026-05-04T09:00:00.000Z', actor: 'admin', reason: null, from: { percent: 0, state: 'manual' }, to: { percent: 7, state: 'manual' } },
        { at: '2026-05-04T10:00:00.000Z', actor: 'analysis', reason: 'maxErrorRate', from: { percent: 7, state: 'progressing' }, to: { percent: 0, state: 'rolled_back' }, figures: { errorRate: 0.2 } },
      ],
    })
  })
})
