import { SIDES, type Side } from '../config/types.js'
import { ROLLOUT_STATES, type RolloutState } from '../core/types.js'
import { SeriesColumns } from './series-columns.js'
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

/** The ring's columns in SeriesColumns: t first (it may step), then the values (constant or dense). */
const T = 0
const PERCENT = 1
const STATE = 2
const SHADOW = 3
const SIDE_COLUMNS = { old: 4, new: 7 } as const satisfies Record<Side, number>
const RPS = 0
const ERROR_RATE = 1
const P99 = 2
const COLUMNS = 10

/** Points a new ring has room for; the room doubles up to the capacity as points arrive. */
const FIRST_ROOM = 8

/**
 * A bounded ring of columns: pushing the (capacity+1)-th point overwrites the oldest. Missing
 * values are NaN inside and null outside. A column is one number while every point agrees with it
 * (series-columns.ts: an idle route's ring is a few hundred bytes) and a Float64Array while they
 * differ; those grow with the points (a full hour is ~3 KB per dense column: 10,000 routes must
 * not pay 260 MB).
 */
export class SeriesRing {
  readonly capacity: number
  /** Slots the dense columns hold now (≤ capacity); wrapping only begins once it is the capacity. */
  #room: number
  readonly #columns = new SeriesColumns(COLUMNS, 1)
  /** Goal name → its two columns (old, new); undefined while the points have no goals. */
  #goals: Map<string, SeriesColumns> | undefined
  /** Index the next point goes to. */
  #next = 0
  #size = 0

  constructor(capacity: number) {
    this.capacity = capacity
    this.#room = Math.min(capacity, FIRST_ROOM)
  }

  get size(): number {
    return this.#size
  }

  /** How many columns are typed arrays now (a ring of an idle target has none). */
  get denseColumns(): number {
    let n = this.#columns.denseCount
    for (const cols of this.#goals?.values() ?? []) n += cols.denseCount
    return n
  }

  push(p: SeriesPoint): void {
    const i = this.#next
    if (i === this.#room) {
      // Before the ring is full its points are 0..size-1 in order: growing is a copy into longer columns.
      this.#room = Math.min(this.capacity, this.#room * 2)
      this.#columns.grow(this.#room)
      for (const cols of this.#goals?.values() ?? []) cols.grow(this.#room)
    }
    const held = Math.min(this.#size, this.capacity - 1)
    const size = held + 1
    const set = (cols: SeriesColumns, c: number, v: number) => cols.set(c, i, v, size, this.capacity, this.#room)
    const columns = this.#columns
    set(columns, T, p.t)
    set(columns, PERCENT, p.percentBp)
    set(columns, STATE, ROLLOUT_STATES.indexOf(p.state))
    set(columns, SHADOW, nanOf(p.shadowMismatchRate))
    for (const s of SIDES) {
      const at = SIDE_COLUMNS[s]
      set(columns, at + RPS, p[s].rps)
      set(columns, at + ERROR_RATE, nanOf(p[s].errorRate))
      set(columns, at + P99, nanOf(p[s].p99Ms))
    }
    // Goals follow the config: a goal removed by a reload loses its column, a new one starts empty.
    let goals: Map<string, SeriesColumns> | undefined
    for (const [name, rates] of Object.entries(p.goals)) {
      goals ??= new Map()
      const cols = this.#goals?.get(name) ?? new SeriesColumns(2, 0, Number.NaN, held)
      set(cols, 0, nanOf(rates.old))
      set(cols, 1, nanOf(rates.new))
      goals.set(name, cols)
    }
    this.#goals = goals
    this.#next = (i + 1) % this.capacity
    this.#size = size
  }

  /** The points with t > since, oldest first. */
  points(since: number): SeriesPoint[] {
    const out: SeriesPoint[] = []
    const first = (this.#next - this.#size + this.capacity) % this.capacity
    const columns = this.#columns
    for (let k = 0; k < this.#size; k++) {
      const i = (first + k) % this.capacity
      const age = this.#size - 1 - k
      const t = columns.get(T, i, age)
      if (t <= since) continue
      const side = (s: Side): SidePoint => {
        const at = SIDE_COLUMNS[s]
        return {
          rps: columns.get(at + RPS, i, age),
          errorRate: nullOf(columns.get(at + ERROR_RATE, i, age)),
          p99Ms: nullOf(columns.get(at + P99, i, age)),
        }
      }
      const goals: Record<string, Record<Side, number | null>> = {}
      for (const [name, cols] of this.#goals ?? []) {
        goals[name] = { old: nullOf(cols.get(0, i, age)), new: nullOf(cols.get(1, i, age)) }
      }
      out.push({
        t, percentBp: columns.get(PERCENT, i, age), state: ROLLOUT_STATES[columns.get(STATE, i, age)] ?? 'manual',
        old: side('old'), new: side('new'), goals, shadowMismatchRate: nullOf(columns.get(SHADOW, i, age)),
      })
    }
    return out
  }
}

function nanOf(x: number | null): number {
  return x === null ? Number.NaN : x
}

function nullOf(x: number): number | null {
  return Number.isNaN(x) ? null : x
}
