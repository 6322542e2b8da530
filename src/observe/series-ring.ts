import { SIDES, type Side } from '../config/types.js'
import { ROLLOUT_STATES, type RolloutState } from '../core/types.js'
import type { SidePoint } from './series-point.js'

export interface SeriesPoint {
  /** Epoch ms at the end of the interval. */
  readonly t: number
  readonly percentBp: number
  readonly state: RolloutState
  readonly old: SidePoint
  readonly new: SidePoint
  /** Goal name → conversion rate (0-1) per side since the percent last changed; routes with goals only. */
  readonly goals: Readonly<Record<string, Readonly<Record<Side, number | null>>>>
  /** Share of shadowed requests whose answers differed; null until shadow traffic exists. */
  readonly shadowMismatchRate: number | null
}

type SideColumns = Record<keyof SidePoint, Float64Array>

/** Points a new ring has room for; the room doubles up to the capacity as points arrive. */
const FIRST_ROOM = 8

/**
 * A bounded ring of columns (typed arrays): pushing the (capacity+1)-th point overwrites the
 * oldest. Missing values are NaN inside and null outside. The columns grow with the points (a full
 * hour is ~26 KB per target: 10,000 routes must not pay 260 MB on their first interval).
 */
export class SeriesRing {
  readonly capacity: number
  /** Points the columns hold now (≤ capacity); wrapping only begins once it is the capacity. */
  #room: number
  #t: Float64Array
  #percentBp: Float64Array
  #state: Uint8Array
  #sides: Record<Side, SideColumns>
  #shadow: Float64Array
  #goals = new Map<string, Record<Side, Float64Array>>()
  /** Index the next point goes to. */
  #next = 0
  #size = 0

  constructor(capacity: number) {
    this.capacity = capacity
    const room = Math.min(capacity, FIRST_ROOM)
    this.#room = room
    this.#t = new Float64Array(room)
    this.#percentBp = new Float64Array(room)
    this.#state = new Uint8Array(room)
    this.#shadow = new Float64Array(room)
    const side = (): SideColumns => ({
      rps: new Float64Array(room), errorRate: new Float64Array(room), p99Ms: new Float64Array(room),
    })
    this.#sides = { old: side(), new: side() }
  }

  /** Before the ring is full its points are 0..size-1 in order: growing is a copy into longer columns. */
  #grow(): void {
    const room = Math.min(this.capacity, this.#room * 2)
    this.#room = room
    this.#t = grown(this.#t, room)
    this.#percentBp = grown(this.#percentBp, room)
    this.#state = grown(this.#state, room)
    this.#shadow = grown(this.#shadow, room)
    for (const s of SIDES) {
      const c = this.#sides[s]
      this.#sides[s] = { rps: grown(c.rps, room), errorRate: grown(c.errorRate, room), p99Ms: grown(c.p99Ms, room) }
    }
    for (const [name, cols] of this.#goals) {
      this.#goals.set(name, { old: grown(cols.old, room, Number.NaN), new: grown(cols.new, room, Number.NaN) })
    }
  }

  get size(): number {
    return this.#size
  }

  push(p: SeriesPoint): void {
    const i = this.#next
    if (i === this.#room) this.#grow()
    this.#t[i] = p.t
    this.#percentBp[i] = p.percentBp
    this.#state[i] = ROLLOUT_STATES.indexOf(p.state)
    this.#shadow[i] = nanOf(p.shadowMismatchRate)
    for (const s of SIDES) {
      const c = this.#sides[s]
      c.rps[i] = p[s].rps
      c.errorRate[i] = nanOf(p[s].errorRate)
      c.p99Ms[i] = nanOf(p[s].p99Ms)
    }
    // Goals follow the config: a goal removed by a reload loses its column, a new one starts empty.
    const goals = new Map<string, Record<Side, Float64Array>>()
    for (const [name, rates] of Object.entries(p.goals)) {
      const cols = this.#goals.get(name) ?? {
        old: new Float64Array(this.#room).fill(Number.NaN), new: new Float64Array(this.#room).fill(Number.NaN),
      }
      for (const s of SIDES) cols[s][i] = nanOf(rates[s])
      goals.set(name, cols)
    }
    this.#goals = goals
    this.#next = (i + 1) % this.capacity
    if (this.#size < this.capacity) this.#size++
  }

  /** The points with t > since, oldest first. */
  points(since: number): SeriesPoint[] {
    const out: SeriesPoint[] = []
    const first = (this.#next - this.#size + this.capacity) % this.capacity
    for (let k = 0; k < this.#size; k++) {
      const i = (first + k) % this.capacity
      if (this.#t[i]! <= since) continue
      const side = (s: Side): SidePoint => {
        const c = this.#sides[s]
        return { rps: c.rps[i]!, errorRate: nullOf(c.errorRate[i]!), p99Ms: nullOf(c.p99Ms[i]!) }
      }
      const goals: Record<string, Record<Side, number | null>> = {}
      for (const [name, cols] of this.#goals) goals[name] = { old: nullOf(cols.old[i]!), new: nullOf(cols.new[i]!) }
      out.push({
        t: this.#t[i]!, percentBp: this.#percentBp[i]!, state: ROLLOUT_STATES[this.#state[i]!] ?? 'manual',
        old: side('old'), new: side('new'), goals, shadowMismatchRate: nullOf(this.#shadow[i]!),
      })
    }
    return out
  }
}

function grown<A extends Float64Array | Uint8Array>(a: A, length: number, fill = 0): A {
  const out = new (a.constructor as new (n: number) => A)(length)
  if (fill !== 0) out.fill(fill)
  out.set(a)
  return out
}

function nanOf(x: number | null): number {
  return x === null ? Number.NaN : x
}

function nullOf(x: number): number | null {
  return Number.isNaN(x) ? null : x
}
