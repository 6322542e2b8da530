import { IdleWaiters } from '../../util/idle-waiters.js'

/**
 * The in-flight bound of a source: a job holds a slot from the moment it is taken until its
 * delivery resolved (acknowledged or given back). While every slot is held the source takes
 * nothing more from the broker, so a slow sink produces back-pressure instead of memory growth.
 */
export class Slots {
  readonly size: number
  #used = 0
  #onFree: (() => void) | undefined
  readonly #idle = new IdleWaiters()

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size))
  }

  get free(): number {
    return this.size - this.#used
  }

  get used(): number {
    return this.#used
  }

  /** Resolves when a slot is free, or when wake() is called (the taker re-checks why it woke). */
  whenFree(): Promise<void> {
    if (this.free > 0) return Promise.resolve()
    return new Promise((resolve) => { this.#onFree = resolve })
  }

  /** Resolves at the next release or wake(), however many slots are free now (one waiter at a time). */
  whenReleased(): Promise<void> {
    return new Promise((resolve) => { this.#onFree = resolve })
  }

  take(n: number): void {
    this.#used += n
  }

  release(): void {
    this.#used--
    this.wake()
    if (this.#used === 0) this.#idle.idle()
  }

  wake(): void {
    const fn = this.#onFree
    this.#onFree = undefined
    fn?.()
  }

  /** Resolves true once no slot is held, false when `timeoutMs` passed first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    return this.#idle.wait(this.#used === 0, timeoutMs)
  }
}
