import type { Logger } from 'pino'
import { backoffMs } from './backoff.js'
import { sleep } from '../../util/sleep.js'

/** How long releasing a lost connection may take before the link reconnects anyway. */
const LOST_CLOSE_MS = 1_000

/** What a link needs to know about one kind of broker connection. */
export interface LinkHooks<T> {
  /** Connect and set up (declare queues, open channels); rejects when any of it fails. */
  open(): Promise<T>
  /** Resolves when the broker or the network took `handle` away (never for our own close). */
  lost(handle: T): Promise<unknown>
  /** Our close: give everything back to the broker. */
  close(handle: T): Promise<void>
}

export interface LinkOptions {
  /** For the log lines: `amqp`, `nats`. */
  readonly kind: string
  /** For the log lines: `source`, `sink`. */
  readonly role: string
  /** The broker URL without its password. */
  readonly target: string
  readonly logger: Logger
}

interface Waiter<T> {
  resolve(handle: T): void
  reject(err: unknown): void
}

/**
 * One broker connection (with whatever was set up on it) that comes back by itself: opened at once,
 * and again with backoff after a failed attempt or after the broker closed it. One log line per
 * state change (up, down), never one per retry. `whenUp` lets a publish wait for the connection
 * but fail at the next failed attempt (or after a time limit) instead of waiting forever, as an
 * unreachable broker must fail the publish so the router can fall back or retry.
 */
export class BrokerLink<T> {
  readonly #hooks: LinkHooks<T>
  readonly #opts: LinkOptions
  readonly #stop = new AbortController()
  #handle: T | undefined
  #waiters: Waiter<T>[] = []
  #loop: Promise<void>
  /** `undefined` until the first attempt ended; then whether the last state logged was up. */
  #up: boolean | undefined

  constructor(hooks: LinkHooks<T>, opts: LinkOptions) {
    this.#hooks = hooks
    this.#opts = opts
    this.#loop = this.#run()
  }

  /** The open handle, if the link is up right now. */
  get current(): T | undefined {
    return this.#handle
  }

  get closing(): boolean {
    return this.#stop.signal.aborted
  }

  /** The handle once up; rejects with the error of the next failed attempt, or after `timeoutMs`. */
  whenUp(timeoutMs: number): Promise<T> {
    if (this.#handle !== undefined) return Promise.resolve(this.#handle)
    if (this.closing) return Promise.reject(closedError(this.#opts.kind))
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        resolve: (h) => { clearTimeout(timer); resolve(h) },
        reject: (e) => { clearTimeout(timer); reject(e) },
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        reject(Object.assign(new Error(`${this.#opts.kind} broker not reachable within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }))
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  /** Stop reconnecting and close the handle (if any). */
  async close(): Promise<void> {
    this.#stop.abort()
    this.#settle((w) => w.reject(closedError(this.#opts.kind)))
    await this.#loop
    const h = this.#handle
    this.#handle = undefined
    if (h !== undefined) await this.#hooks.close(h).catch(() => {})
  }

  async #run(): Promise<void> {
    for (let attempt = 0; !this.closing;) {
      let handle: T
      try {
        handle = await this.#hooks.open()
      } catch (err) {
        this.#down(err, 'connection failed; retrying')
        this.#settle((w) => w.reject(err))
        await sleep(backoffMs(attempt++), this.#stop.signal)
        continue
      }
      if (this.closing) {
        await this.#hooks.close(handle).catch(() => {})
        return
      }
      attempt = 0
      this.#handle = handle
      this.#markUp()
      this.#settle((w) => w.resolve(handle))
      const lost = await Promise.race([this.#hooks.lost(handle).then((e) => ({ e })), this.#stopped()])
      if (lost === undefined) return // closing: close() takes the handle down
      this.#handle = undefined
      this.#down(lost.e, 'connection lost; reconnecting')
      await this.#closeLost(handle)
      await sleep(backoffMs(attempt++), this.#stop.signal)
    }
  }

  /**
   * Release what is left of a lost handle. Bounded: a client may wait for a closing handshake that
   * a dead peer never sends (amqplib's close() of a connection whose channel the broker closed).
   */
  async #closeLost(handle: T): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, LOST_CLOSE_MS) })
    await Promise.race([this.#hooks.close(handle).catch(() => {}), bound])
    clearTimeout(timer)
  }

  #stopped(): Promise<undefined> {
    return new Promise((resolve) => this.#stop.signal.addEventListener('abort', () => resolve(undefined), { once: true }))
  }

  #markUp(): void {
    const { kind, role, target } = this.#opts
    if (this.#up !== true) this.#opts.logger.info({ role, broker: target }, `${kind} connection up`)
    this.#up = true
  }

  #down(err: unknown, what: string): void {
    const { kind, role, target } = this.#opts
    const message = err instanceof Error ? err.message : String(err ?? 'closed')
    if (this.#up === false) return this.#opts.logger.debug({ role, err: message }, `${kind} still unreachable`)
    this.#up = false
    this.#opts.logger.warn({ role, broker: target, err: message }, `${kind} ${what}`)
  }

  #settle(fn: (w: Waiter<T>) => void): void {
    const waiters = this.#waiters
    this.#waiters = []
    waiters.forEach(fn)
  }
}

function closedError(kind: string): Error {
  return Object.assign(new Error(`${kind} link closed`), { code: 'ECONNABORTED' })
}
