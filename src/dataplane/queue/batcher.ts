/**
 * Most items in one broker command: bounds the time a Lua script holds Redis (it blocks every other
 * client while it runs) and the size of one request, while still amortising the round trip.
 */
export const MAX_BATCH = 512

interface Pending<T> {
  readonly item: T
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

/**
 * Coalesces the calls made during one event-loop turn into one `flush` (one LPUSH with many values,
 * one XACK with many ids): at-least-once costs a round trip per batch instead of per job. Each
 * caller's promise settles with its batch; a failed batch rejects every caller in it, and each of
 * them retries on its own (the commands are safe to repeat for the same job).
 */
export class Batcher<T> {
  readonly #flush: (items: readonly T[]) => Promise<void>
  #pending: Pending<T>[] = []
  #scheduled = false

  constructor(flush: (items: readonly T[]) => Promise<void>) {
    this.#flush = flush
  }

  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject })
      if (this.#scheduled) return
      this.#scheduled = true
      // setImmediate, not a microtask: it runs after the current turn's I/O callbacks and promise
      // continuations, so every job that became ready in this turn joins the batch.
      setImmediate(this.#run)
    })
  }

  readonly #run = (): void => {
    this.#scheduled = false
    const all = this.#pending
    this.#pending = []
    for (let i = 0; i < all.length; i += MAX_BATCH) void this.#send(all.slice(i, i + MAX_BATCH))
  }

  async #send(batch: readonly Pending<T>[]): Promise<void> {
    try {
      await this.#flush(batch.map((p) => p.item))
      for (const p of batch) p.resolve()
    } catch (err) {
      for (const p of batch) p.reject(err)
    }
  }
}
