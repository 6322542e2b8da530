import { describe, expect, it } from 'vitest'
import { goalsSection, statusTable, type TargetJson } from '../../../src/cli/commands/status.js'

const base: TargetJson = {
  name: 'checkout', kind: 'route', percent: 5, state: 'progressing', step: 1, steps: [1, 5, 10],
  nextStepAt: '2026-05-04T09:10:00.000Z', windowOpen: true, lastVerdict: { pass: true },
}
const now = Date.parse('2026-05-04T09:02:48.000Z')

describe('sluice status table', () => {
  it('shows step i/n, the next step relative to now, and the verdict', () => {
    const lines = statusTable([base], now).split('\n')
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+PERCENT\s+STATE\s+STEP\s+NEXT STEP\s+VERDICT$/)
    expect(lines[1]).toMatch(/^checkout\s+route\s+5%\s+progressing\s+2\/3\s+in 7m12s\s+pass$/)
  })

  it('says when the schedule window opens, and explains inconclusive and failed verdicts', () => {
    const waiting = { ...base, state: 'waiting', windowOpen: false, nextStepAt: '2026-05-04T23:02:48.000Z', lastVerdict: { pass: false, kind: 'inconclusive', new: { requests: 12 }, missing: '12 of 100 new-side requests at this step' } }
    expect(statusTable([waiting], now)).toMatch(/window opens in 14h\s+inconclusive \(12 of 100 new-side requests at this step\)/)
    const failed = { ...base, state: 'rolled_back', nextStepAt: null, lastVerdict: { pass: false, kind: 'fail', failed: ['maxErrorRate'] } }
    expect(statusTable([failed], now)).toMatch(/rolled_back\s+2\/3\s+-\s+fail \(maxErrorRate\)/)
  })

  it('adds a goals table with both sides, the lift and its interval, only when a route has goals', () => {
    expect(goalsSection([base])).toBe('')
    const side = (users: number, converted: number) => ({ users, converted, rate: converted / users })
    const withGoals = { ...base, goals: {
      purchase: { old: side(9000, 450), new: side(9000, 396), lift: -0.12, interval: [-0.2, -0.031] as [number, number], verdict: 'worse' },
      support: { old: side(9000, 0), new: side(9000, 0), lift: null, interval: null, verdict: 'inconclusive' },
    } }
    const lines = goalsSection([withGoals]).split('\n')
    expect(lines[0]).toBe('')
    expect(lines[2]).toMatch(/^ROUTE\s+GOAL\s+OLD\s+NEW\s+LIFT\s+INTERVAL\s+VERDICT$/)
    expect(lines[3]).toMatch(/^checkout\s+purchase\s+5\.00% \(450\/9,000\)\s+4\.40% \(396\/9,000\)\s+-12\.0%\s+-20\.0% … -3\.1%\s+worse$/)
    expect(lines[4]).toMatch(/^checkout\s+support\s+0\.00% \(0\/9,000\)\s+0\.00% \(0\/9,000\)\s+-\s+-\s+inconclusive$/)
  })
})
