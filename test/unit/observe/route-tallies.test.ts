import { describe, expect, it } from 'vitest'
import { SideTally, TargetTally, ROLLBACK_REASONS } from '../../../src/observe/route-tallies.js'
import type { DecisionReason } from '../../../src/core/types.js'
import type { UpstreamErrorReason } from '../../../src/observe/events.js'

describe('route tallies (per-route series in plain numbers)', () => {
  it('counts observations per bucket like prom-client: a value on a bound is in that bucket', () => {
    const bounds = [0.001, 0.01, 0.1]
    const t = new SideTally(bounds.length)
    for (const s of [0, 0.001, 0.0011, 0.1, 0.5]) t.observe(bounds, s)
    expect([...t.buckets]).toEqual([2, 1, 1, 1]) // the last slot: above every bound, counted only in +Inf
    expect(t.count).toBe(5)
    expect(t.sum).toBeCloseTo(0.6021)
    t.resetDuration(4)
    expect([...t.buckets]).toEqual([0, 0, 0, 0, 0])
    expect(t.count).toBe(0)
  })

  it('keeps 200 at 0 from the start, counts codes, and skips reasons this build does not know', () => {
    const t = new SideTally(1)
    t.response(503)
    t.response(0)
    expect([...t.codes]).toEqual([[200, 0], [503, 1], [0, 1]])
    t.error('connect')
    t.error('bogus' as UpstreamErrorReason)
    t.decision('bucket')
    t.decision('bogus' as DecisionReason)
    expect(t.errors.reduce((a, b) => a + b, 0)).toBe(1)
    expect(t.decisions.reduce((a, b) => a + b, 0)).toBe(1)
  })

  it('counts rollbacks by reason, known or not', () => {
    const t = new TargetTally('route', 'checkout')
    t.rollback('p99')
    t.rollback('p99')
    t.rollback('something-new')
    expect(t.rollbacks[ROLLBACK_REASONS.indexOf('p99')]).toBe(2)
    expect(t.other?.get('something-new')).toBe(1)
  })
})
