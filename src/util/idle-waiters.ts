/**
 * "Tell me when the count reaches zero, or give up after a while": the drain step of the HTTP
 * plane (requests in flight) and of the queue sources (slots held). Each waiter resolves true at
 * the next `idle()` or false when its own timeout passed first; any number may wait at once.
 */
export class IdleWaiters {
  readonly #pending = new Set<(idle: boolean) => void>()

  /** `idleNow`: the count is already zero, so there is nothing to wait for. */
  wait(idleNow: boolean, timeoutMs: number): Promise<boolean> {
    if (idleNow) return Promise.resolve(true)
    return new Promise((resolve) => {
      const finish = (idle: boolean): void => {
        clearTimeout(timer)
        this.#pending.delete(finish)
        resolve(idle)
      }
      const timer = setTimeout(finish, timeoutMs, false)
      this.#pending.add(finish)
    })
  }

  /** The count reached zero: every waiter resolves true. Costs nothing when nobody waits. */
  idle(): void {
    if (this.#pending.size === 0) return
    for (const finish of [...this.#pending]) finish(true)
  }
}
