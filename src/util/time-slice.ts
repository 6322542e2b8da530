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

  /**
   * The budget is spent: `pass()` would yield now. For loops that must not await per item: every
   * `await` lets the microtasks queued meanwhile run between two items (a listener that collects
   * changes in a microtask would then see them one by one).
   */
  get spent(): boolean {
    return performance.now() - this.#since >= this.budgetMs
  }

  /**
   * Resolves at once (to false) while the budget lasts; after a turn of the event loop (to true)
   * once it is spent. A loop that reads shared state per slice re-reads it when this says true.
   */
  async pass(): Promise<boolean> {
    if (performance.now() - this.#since < this.budgetMs) return false
    await yieldToLoop()
    this.#since = performance.now()
    return true
  }
}
