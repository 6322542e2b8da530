import { describe, expect, it } from 'vitest'
import type { Outcome } from '../../../src/observe/events.js'
import { createRecorder } from '../../../src/observe/metrics/recorder.js'
import { RouteSeriesStore } from '../../../src/observe/metrics/route-series.js'
import { routeConfig } from '../../helpers/admin.js'

function outcome(name: string): Outcome {
  return {
    kind: 'route', name, side: 'new', reason: 'bucket', servedBy: 'new', status: 200, error: undefined,
    fellBack: false, durationMs: 3,
  }
}

const lines = async (r: ReturnType<typeof createRecorder>, prefix: string) =>
  (await r.render()).split('\n').filter((l) => l.startsWith(prefix))

/** setTargets runs in the turn that swaps a reload's config: in place, and only added or removed routes cost. */
describe('Recorder.setTargets across reloads', () => {
  it('keeps the figures of routes still configured, drops removed ones, adds new ones at 0 with their file percent', async () => {
    const r = createRecorder()
    r.setTargets([routeConfig('a'), routeConfig('b'), routeConfig('c')], [])
    r.outcome(outcome('a'))
    r.outcome(outcome('b'))
    r.percent({ kind: 'route', name: 'a' }, 2500)
    // A reload: b removed, d added, the order changed.
    r.setTargets([routeConfig('d', { percentBp: 700 }), routeConfig('c'), routeConfig('a')], [])
    const requests = await lines(r, 'sluice_requests_total{')
    expect(requests).toContain('sluice_requests_total{route="a",backend="new",code="200"} 1')
    expect(requests).toContain('sluice_requests_total{route="d",backend="new",code="200"} 0')
    expect(requests.some((l) => l.includes('route="b"'))).toBe(false)
    const percents = await lines(r, 'sluice_percent{')
    expect(percents).toContain('sluice_percent{kind="route",name="a"} 25')
    expect(percents).toContain('sluice_percent{kind="route",name="d"} 7')
    expect(percents.some((l) => l.includes('name="b"'))).toBe(false)
    // A request of the removed route still in flight is dropped, not resurrected.
    r.outcome(outcome('b'))
    expect((await lines(r, 'sluice_requests_total{')).some((l) => l.includes('route="b"'))).toBe(false)
  })

  it('a reload in two halves: the new routes\' series before the swap, the removed ones dropped after it', async () => {
    const r = createRecorder()
    r.setTargets([routeConfig('a'), routeConfig('b')], [])
    r.outcome(outcome('b'))
    const next = [routeConfig('a'), routeConfig('c', { percentBp: 300 })]
    await r.addTargets(next, [])
    // Between the halves both configs' routes are counted: a request of either is not lost.
    r.outcome(outcome('b'))
    r.outcome(outcome('c'))
    let requests = await lines(r, 'sluice_requests_total{')
    expect(requests).toContain('sluice_requests_total{route="b",backend="new",code="200"} 2')
    expect(requests).toContain('sluice_requests_total{route="c",backend="new",code="200"} 1')
    expect(await lines(r, 'sluice_percent{')).toContain('sluice_percent{kind="route",name="c"} 3')
    await r.retainTargets(next, [])
    requests = await lines(r, 'sluice_requests_total{')
    expect(requests.some((l) => l.includes('route="b"'))).toBe(false)
    expect(requests).toContain('sluice_requests_total{route="c",backend="new",code="200"} 1')
    expect((await lines(r, 'sluice_percent{')).some((l) => l.includes('name="b"'))).toBe(false)
  })

  it('RouteSeriesStore.setRoutes reports what it added and removed, and nothing for the same names again', () => {
    const store = new RouteSeriesStore()
    const bounds = store.bounds
    expect(store.setRoutes(['a', 'b', 'c'], bounds)).toEqual({ added: ['a', 'b', 'c'], removed: [] })
    expect(store.setRoutes(['c', 'a', 'b'], bounds)).toEqual({ added: [], removed: [] })
    expect(store.setRoutes(['a', 'a', 'd'], bounds)).toEqual({ added: ['d'], removed: ['b', 'c'] })
    expect([...store.names()].sort()).toEqual(['a', 'd'])
  })
})
