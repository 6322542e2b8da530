/**
 * The numeric columns of one series ring (series-ring.ts), each kept as one number for as long as
 * every point the ring holds agrees with it, and as a Float64Array only while they differ. An idle
 * route (10,000 configured, almost all without traffic) has points whose values never change —
 * rps 0, no error rate, no p99, the same percent and state — and times on a regular grid: its ring
 * costs a few hundred bytes instead of ~26 KB of typed arrays.
 *
 * A column is either
 * - compact: every stored point lies on a progression ending at the newest value: the value `age`
 *   points before the newest is `last - age × step` (step 0, a constant, for every column but the
 *   ring's times, which may step by the resolution: whole milliseconds, so the product is exact);
 * - dense: a Float64Array indexed by slot, as the ring was before.
 * It becomes dense when a value breaks the progression, and compact again once the progression
 * has covered every stored point (a route idle for as long as the ring keeps).
 */
/** The three numbers a column keeps while it is compact (see #state). */
const LAST = 0
const STEP = 1
const RUN = 2

export class SeriesColumns {
  /**
   * Per column c, three numbers from c × 3: the newest value, the progression's step (0: constant;
   * NaN: one point, any step fits the next) and how many of the newest points lie on the
   * progression (at most the capacity). One array of doubles: an idle ring's whole state.
   */
  readonly #state: number[]
  /** Per column, the slots while the column is dense; undefined while none is. */
  #dense: Array<Float64Array | undefined> | undefined
  /** How many leading columns may step (the ring's times); the others are constant or dense. */
  readonly #stepped: number

  /**
   * `count` columns, the first `stepped` of them allowed to step. A column created next to older
   * points holds `fill` for each of them (`held` points).
   */
  constructor(count: number, stepped = 0, fill = 0, held = 0) {
    this.#state = new Array<number>(count * 3)
    for (let c = 0; c < count; c++) {
      this.#state[c * 3 + LAST] = fill
      this.#state[c * 3 + STEP] = 0
      this.#state[c * 3 + RUN] = held
    }
    this.#stepped = stepped
  }

  /**
   * The ring wrote the newest point at `slot`: column `c`'s value is `v`. The ring now holds `size`
   * points (the newest at `slot`, older ones at the slots before it, modulo `capacity`) in columns
   * of `room` slots.
   */
  set(c: number, slot: number, v: number, size: number, capacity: number, room: number): void {
    const at = c * 3
    const state = this.#state
    const last = state[at + LAST]!
    const step = state[at + STEP]!
    const run = state[at + RUN]!
    let next: number
    let nextStep = step
    if (run === 0) next = 1
    else if (c >= this.#stepped) next = Object.is(v, last) ? run + 1 : 1
    else if (Number.isNaN(step)) {
      // The second point on the progression fixes its step (whole milliseconds only: exact products).
      nextStep = v - last
      next = Number.isSafeInteger(v) && Number.isSafeInteger(nextStep) ? run + 1 : 1
    } else next = Number.isSafeInteger(v) && v - last === step ? run + 1 : 1
    if (next === 1) nextStep = c < this.#stepped ? Number.NaN : 0
    let dense = this.#dense?.[c]
    if (dense === undefined && next < size) {
      // The value breaks the progression: the points before it go to slots as they were.
      dense = new Float64Array(room)
      for (let age = 1; age < size; age++) {
        dense[(slot - age + capacity) % capacity] = step === 0 || Number.isNaN(step) ? last : last - (age - 1) * step
      }
      this.#dense ??= new Array<Float64Array | undefined>(state.length / 3).fill(undefined)
      this.#dense[c] = dense
    }
    if (dense !== undefined) {
      dense[slot] = v
      if (next >= size) this.#collapse(c)
    }
    state[at + LAST] = v
    state[at + STEP] = nextStep
    state[at + RUN] = Math.min(next, capacity)
  }

  /** Column `c` at `slot`, which holds the point `age` points before the newest. */
  get(c: number, slot: number, age: number): number {
    const dense = this.#dense?.[c]
    if (dense !== undefined) return dense[slot]!
    const last = this.#state[c * 3 + LAST]!
    const step = this.#state[c * 3 + STEP]!
    return step === 0 || Number.isNaN(step) ? last : last - age * step
  }

  /** The ring's columns grew to `room` slots (before it wraps: its points are at 0..size-1). */
  grow(room: number): void {
    const all = this.#dense
    if (all === undefined) return
    for (let c = 0; c < all.length; c++) {
      const dense = all[c]
      if (dense === undefined) continue
      const out = new Float64Array(room)
      out.set(dense)
      all[c] = out
    }
  }

  /** How many columns are dense now (tests and the bench look at it). */
  get denseCount(): number {
    return this.#dense?.reduce((n, d) => n + (d === undefined ? 0 : 1), 0) ?? 0
  }

  /** Column `c` is one progression again; with no dense column left, the slot list goes too. */
  #collapse(c: number): void {
    const all = this.#dense!
    all[c] = undefined
    if (all.every((d) => d === undefined)) this.#dense = undefined
  }
}
