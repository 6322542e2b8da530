import { setImmediate as yieldToLoop } from 'node:timers/promises'

/**
 * Long loops on the event loop (a reload's work over 10,000 routes) in slices of about `budgetMs`:
 * `await slice.pass()` once per item yields to the loop whenever the budget is spent. A fixed count
 * of items per slice cannot keep that promise: an item's cost varies by its size and by whether
 * the code is still cold.
 */
export class TimeSlice {
  #since = performance.now()

  constructor(private readonly budgetMs = 8) {}

  /** Resolves at once while the budget lasts; after a turn of the event loop once it is spent. */
  async pass(): Promise<void> {
    if (performance.now() - this.#since < this.budgetMs) return
    await yieldToLoop()
    this.#since = performance.now()
  }
}
