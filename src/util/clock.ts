/** Time as a dependency, so pure logic and the controller can be tested with a manual clock. */
export interface Timer { stop(): void }

export interface Clock {
  now(): number
  every(ms: number, fn: () => void): Timer
  after(ms: number, fn: () => void): Timer
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms)
    t.unref()
    return { stop: () => clearInterval(t) }
  },
  after(ms, fn) {
    const t = setTimeout(fn, ms)
    t.unref()
    return { stop: () => clearTimeout(t) }
  },
}

interface Pending { at: number; every: number; fn: () => void; live: boolean }

/** A clock that only moves when told: `advance(ms)` runs due timers in time order. */
export class ManualClock implements Clock {
  #now: number
  #pending: Pending[] = []

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  every(ms: number, fn: () => void): Timer {
    return this.#add({ at: this.#now + ms, every: ms, fn, live: true })
  }

  after(ms: number, fn: () => void): Timer {
    return this.#add({ at: this.#now + ms, every: 0, fn, live: true })
  }

  set(ms: number): void {
    this.advance(ms - this.#now)
  }

  advance(ms: number): void {
    const end = this.#now + ms
    for (;;) {
      const next = this.#pending.filter((p) => p.live && p.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!next) break
      this.#now = next.at
      if (next.every > 0) next.at += next.every
      else next.live = false
      next.fn()
    }
    this.#now = end
    this.#pending = this.#pending.filter((p) => p.live)
  }

  #add(p: Pending): Timer {
    this.#pending.push(p)
    return { stop: () => { p.live = false } }
  }
}
