import { describe, expect, it } from 'vitest'
import { mismatchRateSince, type ShadowReport } from '../../../src/observe/shadow.js'

const report = (compared: number, mismatched: number, errors: number): ShadowReport =>
  ({ compared, matched: compared - mismatched, mismatched, errors, skipped: 0, samples: [] })

describe('the dashboard series\' shadow mismatch rate', () => {
  it('is the share of calls since the previous read that differed or failed; null when none', () => {
    let current: ShadowReport | undefined = report(0, 0, 0)
    const rate = mismatchRateSince(() => current)
    expect(rate('checkout')).toBeNull()
    current = report(90, 9, 10)
    expect(rate('checkout')).toBe(19 / 100)
    current = report(190, 9, 10)
    expect(rate('checkout')).toBe(0)
    expect(rate('checkout')).toBeNull()
    // Counters rebuilt by a reload start again from zero.
    current = report(10, 5, 0)
    expect(rate('checkout')).toBe(0.5)
    current = undefined
    expect(rate('checkout')).toBeNull()
  })
})
