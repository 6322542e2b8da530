import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SideCounts } from '../../../src/observe/analysis-windows.js'
import {
  addInto, FLEET_WINDOW_TTL_WINDOWS, mergeSides, previousWindow, toSparse, windowAt, type SerializedSide,
} from '../../../src/state/fleet.js'
import { ref, REDIS_SERVER, StoreRig, suiteTitle, uniquePrefix } from './fixture.js'

const WINDOW_MS = 60_000

function side(requests: number, errors: number, histogram: Array<[number, number]>): SerializedSide {
  return { requests, errors, histogram }
}

function serialize(c: SideCounts): SerializedSide {
  return { requests: c.requests, errors: c.errors, histogram: toSparse(c.histogram()) }
}

describe('fleet window helpers', () => {
  it('windows are a common grid of epoch time', () => {
    expect(windowAt(125_000, WINDOW_MS)).toEqual({ id: 2, ms: WINDOW_MS })
    expect(windowAt(179_999, WINDOW_MS)).toEqual({ id: 2, ms: WINDOW_MS })
    expect(previousWindow(windowAt(180_000, WINDOW_MS))).toEqual({ id: 2, ms: WINDOW_MS })
  })

  it('merging sums counts and keeps the histogram sparse and ordered', () => {
    const merged = mergeSides(side(10, 1, [[5, 3], [40, 7]]), side(4, 2, [[40, 1], [2, 3]]))
    expect(merged).toEqual(side(14, 3, [[2, 3], [5, 3], [40, 8]]))
  })
})

describe.skipIf(!REDIS_SERVER)(suiteTitle('redis store: fleet-wide analysis windows'), () => {
  const rig = new StoreRig()
  beforeAll(() => rig.start())
  afterAll(() => rig.close())

  it('shadow counts (maxMismatchRate) are summed over the replicas that counted any', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    const b = await rig.store({ keyPrefix, name: 'b' })
    const c = await rig.store({ keyPrefix, name: 'c' })
    const w = windowAt(Date.now(), WINDOW_MS)
    const empty = side(0, 0, [])
    await a.fleet.flushWindow(ref, w, 'a', { old: empty, new: empty, shadow: { judged: 40, differed: 3 } })
    await b.fleet.flushWindow(ref, w, 'b', { old: empty, new: empty, shadow: { judged: 10, differed: 2 } })
    await c.fleet.flushWindow(ref, w, 'c', { old: empty, new: empty })
    expect(await c.fleet.readWindow(ref, w))
      .toEqual({ replicas: 3, old: empty, new: empty, shadow: { judged: 50, differed: 5 } })
  })

  it('two replicas flush a window; the leader reads the sums', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    const b = await rig.store({ keyPrefix, name: 'b' })
    const w = windowAt(Date.now(), WINDOW_MS)
    await a.fleet.flushWindow(ref, w, 'a', { old: side(100, 1, [[10, 100]]), new: side(6, 2, [[10, 4], [300, 2]]) })
    await b.fleet.flushWindow(ref, w, 'b', { old: side(90, 0, [[11, 90]]), new: side(5, 3, [[300, 5]]) })
    // A retried flush replaces A's contribution, never adds it twice.
    await a.fleet.flushWindow(ref, w, 'a', { old: side(100, 1, [[10, 100]]), new: side(7, 2, [[10, 5], [300, 2]]) })

    const merged = await b.fleet.readWindow(ref, w)
    expect(merged).toEqual({
      replicas: 2, old: side(190, 1, [[10, 100], [11, 90]]), new: side(12, 5, [[10, 5], [300, 7]]),
    })
    expect(await a.fleet.readWindow(ref, previousWindow(w)))
      .toEqual({ replicas: 0, old: side(0, 0, []), new: side(0, 0, []) })

    const raw = rig.raw()
    const key = `${keyPrefix}:{route/checkout}:window:${WINDOW_MS}:${w.id}`
    const ttl = await raw.pttl(key)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(WINDOW_MS * FLEET_WINDOW_TTL_WINDOWS)

    // Something that is not a contribution is skipped, not counted.
    await raw.hset(key, 'intruder', '{"old": 5}')
    expect((await a.fleet.readWindow(ref, w)).replicas).toBe(2)
  })

  it('round trip with observe/analysis-windows.ts: merged figures equal SideCounts.merge, in a compact form', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    const b = await rig.store({ keyPrefix, name: 'b' })
    const counts = () => ({ old: new SideCounts(), new: new SideCounts() })
    const ca = counts()
    const cb = counts()
    for (let i = 0; i < 500; i++) {
      ca.old.record(5 + (i % 50), false)
      ca.new.record(20 + (i % 7) * 30, i % 25 === 0)
      cb.new.record(i % 10 === 0 ? 900 : 15, i % 10 === 0)
    }
    const w = windowAt(Date.now(), WINDOW_MS)
    await a.fleet.flushWindow(ref, w, 'a', { old: serialize(ca.old), new: serialize(ca.new) })
    await b.fleet.flushWindow(ref, w, 'b', { old: serialize(cb.old), new: serialize(cb.new) })
    const merged = await a.fleet.readWindow(ref, w)

    const fromFleet = counts()
    addInto(fromFleet.old, merged.old)
    addInto(fromFleet.new, merged.new)
    const local = counts()
    for (const c of [ca, cb]) { local.old.merge(c.old); local.new.merge(c.new) }
    for (const s of ['old', 'new'] as const) {
      expect(fromFleet[s].requests).toBe(local[s].requests)
      expect(fromFleet[s].errors).toBe(local[s].errors)
      expect(fromFleet[s].p99Ms).toBe(local[s].p99Ms)
      expect([...fromFleet[s].histogram()]).toEqual([...local[s].histogram()])
    }
    const bytes = JSON.stringify(merged).length
    console.log(`fleet window: ${local.new.histogram().length} buckets per side, merged window as JSON ${bytes} bytes`)
    expect(merged.new.histogram.length).toBeLessThan(20)
  })
})
