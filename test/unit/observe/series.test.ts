import { describe, expect, it } from 'vitest'
import type { SideTotals, TotalsReader } from '../../../src/observe/metrics/recorder.js'
import { quantileMs, sidePoint } from '../../../src/observe/series-point.js'
import { SeriesRing, type SeriesPoint } from '../../../src/observe/series-ring.js'
import { SeriesBook } from '../../../src/observe/series.js'
import { EMPTY_SIDE, mergeSides, type FleetWindows, type WindowSides } from '../../../src/state/fleet.js'
import type { LiveSnapshot, TargetLive } from '../../../src/state/store.js'
import { ManualClock } from '../../../src/util/clock.js'
import { routeConfig } from '../../helpers/admin.js'

const BOUNDS = [0.1, 0.2, 0.5]

function totals(requests: number, errors: number, buckets: number[], bounds: readonly number[] = BOUNDS): SideTotals {
  return { requests, errors, buckets, bounds }
}

function point(t: number, over: Partial<SeriesPoint> = {}): SeriesPoint {
  const side = { rps: 1, errorRate: 0, p99Ms: 10 }
  return { t, percentBp: 500, state: 'progressing', old: side, new: side, goals: {}, shadowMismatchRate: null, ...over }
}

describe('quantileMs (histogram_quantile on one interval)', () => {
  it('interpolates inside the bucket holding the rank', () => {
    // 99th of 100: rank 99 falls in (0.2, 0.5] which holds 90..100 → 0.2 + 0.3 × 0.9
    expect(quantileMs(0.99, BOUNDS, [50, 90, 100, 100])).toBe(470)
  })
  it('answers the highest finite bound when the rank is in +Inf, and null without requests', () => {
    expect(quantileMs(0.99, BOUNDS, [0, 0, 0, 10])).toBe(500)
    expect(quantileMs(0.99, BOUNDS, [0, 0, 0, 0])).toBeNull()
  })
})

describe('sidePoint (the difference of two cumulative readings)', () => {
  it('gives requests/s, the error rate and p99 of the interval only', () => {
    const p = sidePoint(totals(100, 1, [100, 100, 100, 100]), totals(300, 11, [150, 290, 300, 300]), 10)
    // The interval's buckets: 50, 190, 200 of 200 → rank 198 in (0.2, 0.5], 8 of its 10 → 0.2 + 0.3 × 0.8
    expect(p).toEqual({ rps: 20, errorRate: 0.05, p99Ms: 440 })
  })
  it('has no error rate or p99 in an interval without requests', () => {
    expect(sidePoint(totals(5, 0, [5, 5, 5, 5]), totals(5, 0, [5, 5, 5, 5]), 10))
      .toEqual({ rps: 0, errorRate: null, p99Ms: null })
  })
  it('a histogram recreated with new bounds (a reload) gives no p99 rather than a wrong one', () => {
    const before = totals(100, 0, [100, 100, 100, 100])
    const p = sidePoint(before, totals(150, 0, [10, 20, 40, 50, 50], [0.1, 0.2, 0.25, 0.5]), 10)
    expect(p.p99Ms).toBeNull()
    expect(p.rps).toBe(5)
  })
})

describe('SeriesRing (bounded memory)', () => {
  it('keeps the newest `capacity` points, oldest first, and filters by time', () => {
    const ring = new SeriesRing(4)
    for (let t = 1; t <= 10; t++) ring.push(point(t * 1000))
    expect(ring.size).toBe(4)
    expect(ring.points(0).map((p) => p.t)).toEqual([7000, 8000, 9000, 10_000])
    expect(ring.points(8000).map((p) => p.t)).toEqual([9000, 10_000])
  })
  it('keeps nulls, states and goal columns; a goal removed by a reload loses its column', () => {
    const ring = new SeriesRing(3)
    ring.push(point(1, { state: 'paused', new: { rps: 0, errorRate: null, p99Ms: null }, goals: { buy: { old: 0.1, new: null } } }))
    ring.push(point(2, { goals: { buy: { old: 0.2, new: 0.3 }, signup: { old: 0.5, new: 0.6 } } }))
    const [a, b] = ring.points(0)
    expect(a).toMatchObject({ state: 'paused', new: { rps: 0, errorRate: null, p99Ms: null }, goals: { buy: { old: 0.1, new: null }, signup: { old: null, new: null } } })
    expect(b).toMatchObject({ state: 'progressing', goals: { buy: { old: 0.2, new: 0.3 }, signup: { old: 0.5, new: 0.6 } }, shadowMismatchRate: null })
    ring.push(point(3, { goals: { signup: { old: 0.7, new: 0.8 } } }))
    expect(Object.keys(ring.points(0)[0]!.goals)).toEqual(['signup'])
  })
  it('grows its columns with the points (a new ring is small) and keeps every value across growth and wrapping', () => {
    const ring = new SeriesRing(20)
    for (let t = 1; t <= 50; t++) {
      ring.push(point(t * 1000, {
        percentBp: t,
        old: { rps: t, errorRate: t % 2 ? null : t / 100, p99Ms: t },
        goals: { buy: { old: t, new: null } },
      }))
      const ts = ring.points(0).map((p) => p.t / 1000)
      expect(ts).toEqual(Array.from({ length: Math.min(t, 20) }, (_, k) => Math.max(1, t - 19) + k))
    }
    for (const p of ring.points(0)) {
      const t = p.t / 1000
      expect(p).toMatchObject({
        percentBp: t,
        old: { rps: t, errorRate: t % 2 ? null : t / 100, p99Ms: t },
        goals: { buy: { old: t, new: null } },
      })
    }
  })
})

describe('SeriesBook', () => {
  const route = routeConfig('checkout', { percentBp: 100 })
  const live = (percentBp: number): LiveSnapshot => ({
    targets: new Map<string, TargetLive>([['route/checkout', { percentBp, state: 'progressing', step: 0, filePercentBp: 100, updatedAt: 0, version: 1 }]]),
    members: new Map(),
  })

  function setup(routes = [route]) {
    const clock = new ManualClock(1_000_000)
    let requests = 0
    let snapshot = live(100)
    const state = { routes }
    const book = new SeriesBook({
      clock, replica: 'r1', store: 'memory',
      recorder: {
        totals: async (): Promise<TotalsReader> => (_kind, name) => state.routes.some((r) => r.name === name)
          ? {
            old: totals(requests, 0, [requests, requests, requests, requests]),
            new: totals(requests / 10, 0, [0, 0, requests / 10, requests / 10]),
          }
          : undefined,
      },
      targets: () => ({ routes: state.routes, queues: [] }),
      snapshot: () => snapshot,
    })
    return {
      clock, book, state,
      async tick(add: number, percentBp = 100) {
        requests += add
        snapshot = live(percentBp)
        clock.advance(book.resolutionMs)
        await book.sample()
      },
    }
  }

  it('takes the first reading as a baseline, then one point per resolution with the live percent', async () => {
    const s = setup()
    await s.tick(0)
    expect(s.book.json({ kind: 'route', name: 'checkout' }, 60, undefined).points).toEqual([])
    await s.tick(100, 500)
    const json = s.book.json({ kind: 'route', name: 'checkout' }, 60, { windowMs: 1000, minRequests: 1, maxErrorRate: 0.01, maxP99Ms: 500, maxErrorRateVsOld: undefined, maxP99VsOld: undefined, failureLimit: 1, alpha: 0.05 })
    expect(json).toMatchObject({ resolution: '10s', scope: 'replica', replica: 'r1', store: 'memory', limits: { errorRate: 0.01, p99Ms: 500 } })
    expect(json.points).toEqual([{
      t: new Date(s.clock.now()).toISOString(), percent: 5, state: 'progressing',
      old: { rps: 10, errorRate: 0, p99Ms: 99 }, new: { rps: 1, errorRate: 0, p99Ms: 497 },
      goals: {}, shadowMismatchRate: null,
    }])
  })

  it('keeps an hour at 10 s and no more, and `minutes` cuts the answer', async () => {
    const s = setup()
    expect(s.book.keepMinutes).toBe(60)
    for (let i = 0; i < 500; i++) await s.tick(10)
    const ref = { kind: 'route' as const, name: 'checkout' }
    expect(s.book.json(ref, 60, undefined).points).toHaveLength(360)
    expect(s.book.json(ref, 1, undefined).points).toHaveLength(6)
  })

  it('drops the series of a target that left the config', async () => {
    const s = setup()
    await s.tick(1)
    await s.tick(1)
    s.state.routes = []
    await s.tick(1)
    expect(s.book.json({ kind: 'route', name: 'checkout' }, 60, undefined).points).toEqual([])
  })
})

describe('SeriesBook with several replicas (a shared fleet store)', () => {
  /** The fleet windows as Redis keeps them: per window, each replica's last flush; reads sum them. */
  function memoryFleet(): FleetWindows & { readonly keys: Set<string> } {
    const windows = new Map<string, Map<string, WindowSides>>()
    const keys = new Set<string>()
    return {
      keys,
      async flushWindow(ref, w, replica, sides) {
        const key = `${ref.kind}/${ref.name}:${w.counts ?? 'window'}:${w.ms}:${w.id}`
        keys.add(key)
        const m = windows.get(key) ?? new Map<string, WindowSides>()
        m.set(replica, sides)
        windows.set(key, m)
      },
      async readWindow(ref, w) {
        const m = windows.get(`${ref.kind}/${ref.name}:${w.counts ?? 'window'}:${w.ms}:${w.id}`) ?? new Map<string, WindowSides>()
        let old = EMPTY_SIDE
        let neu = EMPTY_SIDE
        for (const s of m.values()) { old = mergeSides(old, s.old); neu = mergeSides(neu, s.new) }
        return { old, new: neu, replicas: m.size }
      },
    }
  }

  it('each replica adds its interval to the store and charts the fleet\'s sum, one interval later', async () => {
    const clock = new ManualClock(1_000_000)
    const fleet = memoryFleet()
    const route = routeConfig('checkout')
    const counts = { a: 0, b: 0 }
    const book = (replica: 'a' | 'b') => new SeriesBook({
      clock, replica, store: 'redis', fleet,
      recorder: {
        totals: async (): Promise<TotalsReader> => () => {
          const n = counts[replica]
          return { old: totals(n, n / 10, [n, n, n, n]), new: totals(0, 0, [0, 0, 0, 0]) }
        },
      },
      targets: () => ({ routes: [route], queues: [] }),
      snapshot: () => ({ targets: new Map(), members: new Map() }),
    })
    const a = book('a')
    const b = book('b')
    const ref = { kind: 'route' as const, name: 'checkout' }
    for (let i = 0; i < 4; i++) {
      counts.a += 100
      counts.b += 300
      clock.advance(10_000)
      await a.sample()
      await b.sample()
    }
    // Readings at intervals 101 (baseline), 102, 103, 104: flushed 101..103, summed 101 and 102.
    const points = a.json(ref, 60, undefined).points
    expect(a.json(ref, 60, undefined)).toMatchObject({ scope: 'fleet', replica: 'a', store: 'redis' })
    expect(points.map((p) => p.t)).toEqual([new Date(1_020_000).toISOString(), new Date(1_030_000).toISOString()])
    expect(points.every((p) => p.old.rps === 40 && p.old.errorRate === 0.1)).toBe(true)
    // Replica b charts the same fleet figures.
    expect(b.json(ref, 60, undefined).points.map((p) => p.old.rps)).toEqual([40, 40])
    // Kept apart from the analysis' windows of the same length.
    expect([...fleet.keys].every((k) => k.includes(':series:10000:'))).toBe(true)
  })

  it('a store that does not answer costs the point, not the sampler', async () => {
    const clock = new ManualClock(1_000_000)
    const route = routeConfig('checkout')
    let n = 0
    const fleet: FleetWindows = {
      flushWindow: async () => { throw new Error('down') },
      readWindow: async () => { throw new Error('down') },
    }
    const book = new SeriesBook({
      clock, replica: 'a', store: 'redis', fleet,
      recorder: {
        totals: async (): Promise<TotalsReader> => () => ({
          old: totals(n, 0, [n, n, n, n]), new: totals(0, 0, [0, 0, 0, 0]),
        }),
      },
      targets: () => ({ routes: [route], queues: [] }),
      snapshot: () => ({ targets: new Map(), members: new Map() }),
    })
    for (let i = 0; i < 3; i++) { n += 10; clock.advance(10_000); await book.sample() }
    expect(book.json({ kind: 'route', name: 'checkout' }, 60, undefined).points).toEqual([])
  })
})

describe('SeriesBook: the shadow slot', () => {
  it('keeps what shadowMismatchRate reports per interval (null until shadow traffic exists)', async () => {
    const clock = new ManualClock(1_000_000)
    const rates = [0.25, null]
    let n = 0
    const book = new SeriesBook({
      clock, replica: 'a', store: 'memory', shadowMismatchRate: () => rates.shift() ?? null,
      recorder: {
        totals: async (): Promise<TotalsReader> => () => ({
          old: totals(n, 0, [n, n, n, n]), new: totals(0, 0, [0, 0, 0, 0]),
        }),
      },
      targets: () => ({ routes: [routeConfig('checkout')], queues: [] }),
      snapshot: () => ({ targets: new Map(), members: new Map() }),
    })
    for (let i = 0; i < 3; i++) { n += 10; clock.advance(10_000); await book.sample() }
    // The first reading is a baseline (no point, no call); then one call per interval.
    expect(book.json({ kind: 'route', name: 'checkout' }, 60, undefined).points.map((p) => p.shadowMismatchRate)).toEqual([0.25, null])
  })
})

describe('SeriesBook: the sample at many targets', () => {
  function manyRoutes(count: number, sliceMs: number | undefined, reuse: boolean) {
    const clock = new ManualClock(1_000_000)
    const routes = Array.from({ length: count }, (_, i) => routeConfig(`r${i}`, { percentBp: 100 }))
    // Route i serves `served[i]` requests so far; most stay idle.
    const served = new Array<number>(count).fill(0)
    let reads = 0
    const reading = (n: number) => ({ old: totals(n, n / 10, [n, n, n, n]), new: totals(0, 0, [0, 0, 0, 0]) })
    const book = new SeriesBook({
      clock, replica: 'r1', store: 'memory', sliceMs,
      recorder: {
        totals: async (): Promise<TotalsReader> => (_kind, name, previous) => {
          reads++
          const n = served[Number(name.slice(1))]!
          // As the recorder does: an unchanged target answers its previous reading itself.
          return reuse && previous !== undefined && previous.old.requests === n ? previous : reading(n)
        },
      },
      targets: () => ({ routes, queues: [] }),
      snapshot: () => ({ targets: new Map(), members: new Map() }),
    })
    return { clock, book, served, reads: () => reads }
  }

  /** How many turns of the event loop pass while `work` runs. */
  async function turnsDuring(work: () => Promise<void>): Promise<number> {
    let turns = 0
    let running = true
    const ticker = (async () => {
      while (running) {
        await new Promise<void>((resolve) => setImmediate(resolve))
        turns++
      }
    })()
    await work()
    running = false
    await ticker
    return turns
  }

  it('yields to the event loop between targets once its slice is spent', async () => {
    // A slice of 0 ms is spent after every target: each one gets a turn of its own.
    const sliced = manyRoutes(300, 0, true)
    sliced.clock.advance(10_000)
    expect(await turnsDuring(() => sliced.book.sample())).toBeGreaterThanOrEqual(299)
    sliced.clock.advance(10_000)
    expect(await turnsDuring(() => sliced.book.sample())).toBeGreaterThanOrEqual(299)
    expect(sliced.reads()).toBe(600)
    expect(sliced.book.json({ kind: 'route', name: 'r299' }, 60, undefined).points).toHaveLength(1)
    // A slice longer than the work: the same sample in one go.
    const whole = manyRoutes(300, 60_000, true)
    whole.clock.advance(10_000)
    expect(await turnsDuring(() => whole.book.sample())).toBeLessThan(5)
  })

  it('charts the same points whether an idle target\'s reading is its previous one or a fresh one', async () => {
    const reused = manyRoutes(20, 0, true)
    const fresh = manyRoutes(20, 0, false)
    for (let i = 0; i < 40; i++) {
      for (const s of [reused, fresh]) {
        if (i % 7 === 3) s.served[i % 20]! += 50
        if (i % 11 === 5) s.served[(i * 3) % 20]! += 1
        s.clock.advance(10_000)
        await s.book.sample()
      }
    }
    for (let r = 0; r < 20; r++) {
      const ref = { kind: 'route' as const, name: `r${r}` }
      const points = reused.book.json(ref, 60, undefined).points
      expect(points).toHaveLength(39)
      expect(JSON.stringify(points)).toBe(JSON.stringify(fresh.book.json(ref, 60, undefined).points))
    }
    expect(reused.book.json({ kind: 'route', name: 'r3' }, 60, undefined).points.some((p) => p.old.rps === 5)).toBe(true)
  })

  it('with several replicas, keeps at most 50 targets waiting for the store at once', async () => {
    const clock = new ManualClock(1_000_000)
    const routes = Array.from({ length: 700 }, (_, i) => routeConfig(`r${i}`))
    let waiting = 0
    let most = 0
    let flushes = 0
    const stored = new Map<string, WindowSides>()
    const slow = async <T>(work: () => T): Promise<T> => {
      waiting++
      most = Math.max(most, waiting)
      await new Promise<void>((resolve) => setImmediate(resolve))
      waiting--
      return work()
    }
    const fleet: FleetWindows = {
      flushWindow: (ref, w, _replica, sides) => slow(() => { flushes++; stored.set(`${ref.name}:${w.id}`, sides) }),
      readWindow: (ref, w) => slow(() => {
        const sides = stored.get(`${ref.name}:${w.id}`)
        return sides === undefined ? { old: EMPTY_SIDE, new: EMPTY_SIDE, replicas: 0 } : { ...sides, replicas: 1 }
      }),
    }
    const book = new SeriesBook({
      clock, replica: 'a', store: 'redis', fleet,
      recorder: {
        totals: async (): Promise<TotalsReader> => () => ({
          old: totals(0, 0, [0, 0, 0, 0]), new: totals(0, 0, [0, 0, 0, 0]),
        }),
      },
      targets: () => ({ routes, queues: [] }),
      snapshot: () => ({ targets: new Map(), members: new Map() }),
    })
    for (let i = 0; i < 4; i++) { clock.advance(10_000); await book.sample() }
    expect(flushes).toBe(3 * 700)
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(50)
    // Readings 101..104: flushed 101..103, summed 101 and 102, for every route.
    for (const name of ['r0', 'r350', 'r699']) {
      expect(book.json({ kind: 'route', name }, 60, undefined).points.map((p) => p.old)).toEqual([
        { rps: 0, errorRate: null, p99Ms: null }, { rps: 0, errorRate: null, p99Ms: null },
      ])
    }
  })
})
