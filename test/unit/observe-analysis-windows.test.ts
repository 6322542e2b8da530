import { describe, expect, it } from 'vitest'
import type { Outcome } from '../../src/observe/events.js'
import { AnalysisWindows, SideCounts } from '../../src/observe/analysis-windows.js'

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

  it('a request the client gave up on is an error of its side and a latency sample of the time waited (it used to be dropped)', () => {
    const w = new AnalysisWindows()
    w.record(outcome({ status: 0, clientGone: true, durationMs: 30_000 }))
    w.record(outcome({ status: 200, clientGone: true, durationMs: 8000 })) // headers sent, body cut off
    w.record(outcome({ status: 0, durationMs: 5000 })) // no answer, no transport error: gone too
    w.record(outcome({ side: 'old', servedBy: 'old', status: 0, clientGone: true, durationMs: 100 }))
    const pair = w.take('route/checkout')
    expect([pair.new.requests, pair.new.errors, pair.new.timed]).toEqual([3, 3, 3])
    expect(pair.new.slowerThan(4000)).toBe(3)
    expect([pair.old.requests, pair.old.errors]).toEqual([1, 1])
  })

  it("a fallback's failed connect is no latency sample of either side, and untimed requests are not in the p99 n", () => {
    const w = new AnalysisWindows()
    w.record(outcome({ servedBy: 'old', side: 'new', fellBack: true, error: 'connect', status: 200, durationMs: 5020 }))
    w.record(outcome({ side: 'old', servedBy: 'old', durationMs: 20 }))
    const pair = w.take('route/checkout')
    expect([pair.old.requests, pair.old.timed, pair.old.slowerThan(1000)]).toEqual([2, 1, 0])
    expect([pair.new.requests, pair.new.errors, pair.new.timed]).toEqual([1, 1, 0])
  })

  it('queues: the worker outcome when workers report, else the publish outcome, never both', () => {
    const w = new AnalysisWindows()
    const published = outcome({ kind: 'queue', name: 'emails', status: 202 })
    w.record(published)
    expect(w.take('queue/emails').new.requests).toBe(1) // no worker has reported: publish outcomes
    w.record(published)
    w.record(outcome({ kind: 'queue', name: 'emails', status: 500, origin: 'worker', durationMs: Number.NaN }))
    const pair = w.take('queue/emails')
    expect([pair.new.requests, pair.new.errors, pair.new.timed]).toEqual([1, 1, 0])
    w.record(published)
    expect(w.take('queue/emails').new.requests).toBe(0) // workers report here: publish outcomes are not counted
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
