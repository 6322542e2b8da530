import { describe, expect, it } from 'vitest'
import type { Side } from '../../../src/config/types.js'
import { ROLLOUT_STATES, type RolloutState } from '../../../src/core/types.js'
import { SeriesRing, type SeriesPoint } from '../../../src/observe/series-ring.js'

/**
 * The ring keeps a column as one number while every point agrees (series-columns.ts): these tests
 * hold it to what a plain array of points gives, and check that an idle target's ring has no
 * typed array.
 */

const STEP = 10_000
const T0 = 1_764_000_000_000

const IDLE_SIDE = { rps: 0, errorRate: null, p99Ms: null }

function idle(t: number, over: Partial<SeriesPoint> = {}): SeriesPoint {
  return { t, percentBp: 1000, state: 'manual', old: IDLE_SIDE, new: IDLE_SIDE, goals: {}, shadowMismatchRate: null, ...over }
}

function active(t: number, rps: number): SeriesPoint {
  return idle(t, { old: { rps, errorRate: 0.01, p99Ms: 120 }, new: { rps: rps / 10, errorRate: 0, p99Ms: 95.5 } })
}

/**
 * The reference: the newest `capacity` points as pushed. A goal's column follows the newest point's
 * goals; an older point shows a goal's rates only if every point since had that goal (a goal that
 * left the config and came back starts empty).
 */
class ReferenceRing {
  readonly #points: SeriesPoint[] = []

  constructor(readonly capacity: number) {}

  push(p: SeriesPoint): void {
    this.#points.push(p)
    if (this.#points.length > this.capacity) this.#points.shift()
  }

  points(since: number): SeriesPoint[] {
    const all = this.#points
    const names = Object.keys(all.at(-1)?.goals ?? {})
    // Per goal, the oldest point from which every point has it.
    const keptFrom = new Map(names.map((name) => {
      let k = all.length
      while (k > 0 && all[k - 1]!.goals[name] !== undefined) k--
      return [name, k]
    }))
    const out: SeriesPoint[] = []
    all.forEach((p, k) => {
      if (p.t <= since) return
      const goals: Record<string, Record<Side, number | null>> = {}
      for (const name of names) {
        const kept = k >= keptFrom.get(name)!
        goals[name] = kept ? { old: p.goals[name]!.old, new: p.goals[name]!.new } : { old: null, new: null }
      }
      out.push({ ...p, old: { ...p.old }, new: { ...p.new }, goals })
    })
    return out
  }
}

/** mulberry32: a seeded generator, so that a failure replays. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** Points in stretches: idle ones on the grid, active ones with random values, now and then off the grid. */
function* pointsOf(random: () => number, count: number): Generator<SeriesPoint> {
  let t = T0
  let percentBp = 500
  let state: RolloutState = 'progressing'
  let goals: SeriesPoint['goals'] = {}
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const maybe = (x: number): number | null => (random() < 0.3 ? null : x)
  let left = count
  while (left > 0) {
    const stretch = Math.min(left, 1 + Math.floor(random() * 30))
    const isIdle = random() < 0.6
    if (random() < 0.3) percentBp = pick([0, 100, 500, 2500, 10_000])
    if (random() < 0.2) state = pick(ROLLOUT_STATES)
    if (random() < 0.2) {
      goals = random() < 0.5 ? {} : Object.fromEntries(
        pick([['buy'], ['signup'], ['buy', 'signup'], ['signup', 'buy']]).map((g) => [g, { old: maybe(0.2), new: maybe(0.3) }]),
      )
    }
    for (let k = 0; k < stretch; k++) {
      // Off the grid: a late sample (non-whole milliseconds too), or a repeated time.
      const r = random()
      t += r < 0.03 ? STEP + 7 : r < 0.04 ? STEP + 0.5 : r < 0.05 ? 0 : STEP
      if (isIdle) {
        yield idle(t, { percentBp, state, goals })
      } else {
        const side = () => ({
          rps: Math.round(random() * 1000) / 10, errorRate: maybe(random()), p99Ms: maybe(random() * 500),
        })
        const g: Record<string, Record<Side, number | null>> = {}
        for (const name of Object.keys(goals)) g[name] = { old: maybe(random()), new: maybe(random()) }
        yield {
          t, percentBp, state, old: side(), new: side(), goals: g,
          shadowMismatchRate: random() < 0.5 ? null : random() < 0.5 ? 0 : -0,
        }
      }
      left--
    }
  }
}

describe('SeriesRing: compact columns', () => {
  it('an idle target\'s ring has no typed array; an active point makes some, and wrapping keeps every value', () => {
    const ring = new SeriesRing(6)
    for (let k = 1; k <= 10; k++) ring.push(idle(T0 + k * STEP))
    expect(ring.denseColumns).toBe(0)
    expect(ring.points(0).map((p) => p.t)).toEqual([5, 6, 7, 8, 9, 10].map((k) => T0 + k * STEP))
    expect(ring.points(0).every((p) => p.old.rps === 0 && p.new.p99Ms === null && p.percentBp === 1000)).toBe(true)

    ring.push(active(T0 + 11 * STEP, 42))
    expect(ring.denseColumns).toBeGreaterThan(0)
    for (let k = 12; k <= 14; k++) ring.push(idle(T0 + k * STEP))
    const points = ring.points(0)
    expect(points.map((p) => p.t)).toEqual([9, 10, 11, 12, 13, 14].map((k) => T0 + k * STEP))
    expect(points.map((p) => p.old.rps)).toEqual([0, 0, 42, 0, 0, 0])
    expect(points.map((p) => p.new.errorRate)).toEqual([null, null, 0, null, null, null])
    expect(points[2]).toEqual(active(T0 + 11 * STEP, 42))
    expect(ring.points(T0 + 11 * STEP).map((p) => p.t)).toEqual([12, 13, 14].map((k) => T0 + k * STEP))
  })

  it('becomes compact again once the active point has left the ring', () => {
    const ring = new SeriesRing(5)
    ring.push(active(T0, 3))
    ring.push(active(T0 + STEP, 4))
    for (let k = 2; k < 6; k++) ring.push(idle(T0 + k * STEP))
    // The newest 5 points: active(4) then 4 idle ones.
    expect(ring.denseColumns).toBeGreaterThan(0)
    ring.push(idle(T0 + 6 * STEP))
    expect(ring.denseColumns).toBe(0)
    expect(ring.points(0)).toEqual([2, 3, 4, 5, 6].map((k) => idle(T0 + k * STEP)))
    // A time off the grid makes the time column dense until it has left the ring too.
    ring.push(idle(T0 + 7 * STEP + 3))
    expect(ring.denseColumns).toBe(1)
    for (let k = 8; k < 12; k++) ring.push(idle(T0 + k * STEP + 3))
    expect(ring.denseColumns).toBe(0)
    expect(ring.points(0).map((p) => p.t)).toEqual([7, 8, 9, 10, 11].map((k) => T0 + k * STEP + 3))
  })

  it('a goal that appears on an idle ring shows null before it, and its constant rates stay compact', () => {
    const ring = new SeriesRing(4)
    ring.push(idle(T0))
    ring.push(idle(T0 + STEP, { goals: { buy: { old: 0.25, new: null } } }))
    ring.push(idle(T0 + 2 * STEP, { goals: { buy: { old: 0.25, new: null } } }))
    expect(ring.points(0).map((p) => p.goals)).toEqual([
      { buy: { old: null, new: null } }, { buy: { old: 0.25, new: null } }, { buy: { old: 0.25, new: null } },
    ])
    ring.push(idle(T0 + 3 * STEP, { goals: { buy: { old: 0.25, new: null } } }))
    ring.push(idle(T0 + 4 * STEP, { goals: { buy: { old: 0.25, new: null } } }))
    expect(ring.denseColumns).toBe(0)
  })

  for (const [seed, capacity] of [[1, 5], [2, 13], [3, 8], [4, 361], [5, 1], [6, 2]] as const) {
    it(`gives exactly what a plain array of points gives (seed ${seed}, capacity ${capacity})`, () => {
      const random = seeded(seed)
      const ring = new SeriesRing(capacity)
      const reference = new ReferenceRing(capacity)
      let compactSeen = false
      let n = 0
      for (const p of pointsOf(random, 1500)) {
        ring.push(p)
        reference.push(p)
        // Every push for small rings; a long one every few pushes (each look reads all its points).
        if (capacity > 20 && n++ % 11 !== 0) continue
        const since = random() < 0.5 ? 0 : p.t - Math.floor(random() * capacity) * STEP
        const got = ring.points(since)
        const want = reference.points(since)
        // JSON too: the served key order (goals follow the newest point's order).
        expect(got).toEqual(want)
        expect(JSON.stringify(got)).toBe(JSON.stringify(want))
        if (ring.denseColumns === 0) compactSeen = true
      }
      expect(compactSeen).toBe(true)
    })
  }
})
