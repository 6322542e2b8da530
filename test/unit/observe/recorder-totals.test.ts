import { describe, expect, it } from 'vitest'
import type { Outcome } from '../../../src/observe/events.js'
import { createRecorder } from '../../../src/observe/metrics/recorder.js'
import { queueConfig, routeConfig } from '../../helpers/admin.js'

function outcome(over: Partial<Outcome>): Outcome {
  return { kind: 'route', name: 'checkout', side: 'new', reason: 'bucket', servedBy: 'new', status: 200, error: undefined, fellBack: false, durationMs: 12, ...over }
}

/** Recorder.totals: the cumulative figures the dashboard's time series samples, read from the metrics per target. */
describe('Recorder.totals', () => {
  it('sums requests per serving side, counts 5xx and 499 as errors, and gives cumulative buckets', async () => {
    const r = createRecorder()
    r.setTargets([routeConfig('checkout', { rollout: { stepsBp: [100], intervalMs: 1000, schedule: undefined, analysis: { windowMs: 1000, minRequests: 1, maxErrorRate: undefined, maxP99Ms: 300, maxErrorRateVsOld: undefined, maxP99VsOld: undefined, failureLimit: 1, alpha: 0.05 } } })], [queueConfig('emails')])
    r.outcome(outcome({ durationMs: 4 }))
    r.outcome(outcome({ status: 503, durationMs: 2000 }))
    r.outcome(outcome({ side: 'old', servedBy: 'old', status: 0, durationMs: 100 }))
    r.outcome(outcome({ side: 'old', servedBy: 'old', status: 404 }))
    r.outcome(outcome({ kind: 'queue', name: 'emails', servedBy: 'old' }))
    r.outcome(outcome({ kind: 'queue', name: 'emails', error: 'timeout' }))

    const read = await r.totals()
    const route = read('route', 'checkout')!
    expect(route.new).toMatchObject({ requests: 2, errors: 1 })
    expect(route.old).toMatchObject({ requests: 2, errors: 1 })
    // maxP99Ms 300 ms is a bucket bound; buckets are cumulative, +Inf last.
    expect(route.new.bounds).toContain(0.3)
    const at = (s: typeof route.new, le: number) => s.buckets[s.bounds.indexOf(le)]
    expect(at(route.new, 0.005)).toBe(1)
    expect(at(route.new, 0.3)).toBe(1)
    expect(route.new.buckets[route.new.bounds.length]).toBe(2)
    const queue = read('queue', 'emails')!
    expect(queue.old).toMatchObject({ requests: 1, errors: 0 })
    expect(queue.new).toMatchObject({ requests: 1, errors: 1 })
  })

  it('leaves out targets that left the config', async () => {
    const r = createRecorder()
    r.setTargets([routeConfig('a'), routeConfig('b')], [])
    r.outcome(outcome({ name: 'a' }))
    r.setTargets([routeConfig('b')], [])
    const read = await r.totals()
    expect(read('route', 'a')).toBeUndefined()
    expect(read('route', 'b')).toMatchObject({ old: { requests: 0 }, new: { requests: 0 } })
    expect(read('queue', 'b')).toBeUndefined()
  })

  it('answers the previous reading itself while a target is idle, a fresh one once it served', async () => {
    const r = createRecorder()
    r.setTargets([routeConfig('checkout')], [queueConfig('emails')])
    const first = (await r.totals())('route', 'checkout')!
    const queue = (await r.totals())('queue', 'emails')!
    expect((await r.totals())('route', 'checkout', first)).toBe(first)
    expect((await r.totals())('queue', 'emails', queue)).toBe(queue)
    r.outcome(outcome({ durationMs: 4 }))
    r.outcome(outcome({ kind: 'queue', name: 'emails' }))
    const second = (await r.totals())('route', 'checkout', first)!
    expect(second).not.toBe(first)
    expect(second.new).toMatchObject({ requests: 1, errors: 0 })
    expect((await r.totals())('queue', 'emails', queue)).not.toBe(queue)
    // A status the route had not served yet changes the figures too (its counter is new).
    r.outcome(outcome({ status: 503, durationMs: 4 }))
    expect((await r.totals())('route', 'checkout', second)!.new).toMatchObject({ requests: 2, errors: 1 })
  })

  it('gives every route that never served one shared reading of zeros', async () => {
    const r = createRecorder()
    r.setTargets([routeConfig('a'), routeConfig('b')], [])
    const read = await r.totals()
    const a = read('route', 'a')!
    expect(read('route', 'b')).toBe(a)
    expect(a.old).toMatchObject({ requests: 0, errors: 0 })
    expect(a.new.buckets).toHaveLength(a.new.bounds.length + 1)
    expect(a.new.buckets.every((n) => n === 0)).toBe(true)
    r.outcome(outcome({ name: 'b', durationMs: 4 }))
    const b = (await r.totals())('route', 'b', a)!
    expect(b).not.toBe(a)
    expect(b.new).toMatchObject({ requests: 1 })
    expect((await r.totals())('route', 'a', a)).toBe(a)
  })
})
