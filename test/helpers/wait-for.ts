/**
 * Wait for a condition instead of sleeping and hoping: on a loaded 2-core machine a fixed sleep is
 * either too short (a flake) or too long (a slow suite). `waitFor` polls until `condition` returns
 * a truthy value and resolves with it; after `timeoutMs` it rejects with `message` and the last
 * value (or error) the condition produced, so a failure says what was being waited for.
 */
export interface WaitOptions {
  /** Give up after this long (default 10 s: generous, a healthy run needs a fraction of it). */
  readonly timeoutMs?: number
  /** Pause between polls (default 20 ms). */
  readonly intervalMs?: number
  /** What is being waited for, for the error message. */
  readonly message?: string
}

/** What a condition returns once it holds: `cond && value` waits for `value`. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

export async function waitFor<T>(condition: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 10_000, intervalMs = 20, message = 'a condition' } = opts
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await condition()
      if (value) return value as Truthy<T>
      last = value
    } catch (err) {
      // A probe that throws (a refused connection while a process starts) is "not yet".
      last = err
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${message} (last: ${describe(last)})`)
    await sleep(intervalMs)
  }
}

/**
 * Resolves after `ms`. Only for pacing (load loops, "nothing must happen during this time"),
 * never to wait for something to happen: that is `waitFor`.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message
  try { return JSON.stringify(value) ?? String(value) } catch { return String(value) }
}
