import { describe, expect, it } from 'vitest'
import type { Outcome } from '../../src/observe/events.js'
import { AnalysisWindows, SideCounts } from '../../src/observe/window.js'

const outcome = (over: Partial<Outcome>): Outcome => ({
  kind: 'route', name: 'checkout', side: 'new', reason: 'bucket', servedBy: 'new', status: 200,
  error: undefined, fellBack: false, durationMs: 10, ...over,
})

describe('analysis window', () => {
  it('p99 and slowerThan are exact to within 2 %', () => {
    const s = new SideCounts()
    for (let i = 1; i <= 1000; i++) s.record(i, false) // 1..1000 ms
    expect(s.p99Ms).toBeGreaterThanOrEqual(990)
    expect(s.p99Ms).toBeLessThanOrEqual(990 * 1.02)
    expect(s.slowerThan(500)).toBeGreaterThanOrEqual(490)
    expect(s.slowerThan(500)).toBeLessThanOrEqual(500)
    expect(new SideCounts().p99Ms).toBeUndefined()
  })

  it('counts 5xx and transport errors per side; a fallback is a failure of the decided side', () => {
    const w = new AnalysisWindows()
    w.record(outcome({}))
    w.record(outcome({ status: 503 }))
    w.record(outcome({ status: 502, error: 'connect' }))
    w.record(outcome({ servedBy: 'old', side: 'new', fellBack: true, error: 'connect', status: 200 }))
    w.record(outcome({ side: 'old', servedBy: 'old', status: 404 }))
    const pair = w.take('route/checkout')
    expect([pair.new.requests, pair.new.errors]).toEqual([4, 3])
    expect([pair.old.requests, pair.old.errors]).toEqual([2, 0])
    // take() starts a fresh window
    expect(w.take('route/checkout').new.requests).toBe(0)
  })

  it('merge adds counts and histograms (fleet-wide analysis)', () => {
    const a = new SideCounts()
    const b = new SideCounts()
    for (let i = 0; i < 99; i++) a.record(10, false)
    b.record(2000, true)
    b.record(2000, false)
    a.merge(b)
    expect([a.requests, a.errors]).toEqual([101, 1])
    expect(a.slowerThan(1000)).toBe(2)
    expect(a.p99Ms).toBeGreaterThan(1900)
  })
})
