import type { Redis, RedisOptions } from 'ioredis'
import { closeRedis, openRedis, STATE_STORE_RECONNECT } from '../../util/redis-connection.js'
import { backoffDelayMs } from '../../util/backoff.js'

/**
 * The Redis store's two connections: one for commands, one subscribed to the change channel
 * (a subscribed connection can run nothing else). "Connected" means both are ready and the
 * subscription is in place; every change of that is reported once, the first attempt included.
 *
 * The connections fail fast instead of queueing: while Redis is away a command is refused at once
 * (no offline queue), a command in flight when the connection drops is rejected at once (no retry,
 * no resend: a CAS must not be replayed blindly), and a command to a hung server times out. The
 * connections keep reconnecting in the background until close().
 */

/** A command without an answer for this long fails (a hung or partitioned server). */
const COMMAND_TIMEOUT_MS = 2000
/** A connection attempt that takes this long is abandoned and retried. */
const CONNECT_TIMEOUT_MS = 2000

export interface LinkEvents {
  /** Both connections are ready and subscribed (also after every reconnect). */
  connected(): void
  /** One of them dropped or the first attempt failed; `reason` is the last error seen. */
  disconnected(reason: string): void
  /** A message on the change channel. */
  message(text: string): void
  /** Any connection error (reconnect attempts produce one each: log quietly). */
  error(err: Error): void
}

function clientOptions(connectionName: string) {
  return {
    connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // Re-subscribed by hand on 'ready', so "connected" is only reported once the subscription is in place.
    autoResubscribe: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // 100 ms, 200 ms, … capped at 1 s, so a returning Redis is seen within a second.
    retryStrategy: (times: number) => backoffDelayMs(times, STATE_STORE_RECONNECT),
  } satisfies RedisOptions
}

export class RedisLink {
  readonly cmd: Redis
  readonly #sub: Redis
  readonly #channel: string
  readonly #events: LinkEvents
  #cmdReady = false
  #subReady = false
  #state: 'unknown' | 'connected' | 'disconnected' = 'unknown'
  #lastError = 'not connected yet'
  #closing = false

  constructor(url: string, name: string, channel: string, events: LinkEvents) {
    this.#channel = channel
    this.#events = events
    // Commands issued in one turn go out in one write: a follower re-reads each target another
    // replica changed, and a reload of 10,000 changes was 20,000 socket writes one by one.
    this.cmd = openRedis(url, { ...clientOptions(`${name}:cmd`), enableAutoPipelining: true })
    this.#sub = openRedis(url, clientOptions(`${name}:sub`))
    this.#watch(this.cmd, (ready) => { this.#cmdReady = ready })
    this.#watch(this.#sub, (ready) => { this.#subReady = ready }, () => this.#subscribe())
    this.#sub.on('message', (ch: string, text: string) => { if (ch === this.#channel) events.message(text) })
  }

  get connected(): boolean {
    return this.#state === 'connected'
  }

  /** Why the link is down (the last connection error), for the 503 message. */
  get reason(): string {
    return this.#lastError
  }

  /** Quit both connections; no reconnecting afterwards. */
  async close(): Promise<void> {
    this.#closing = true
    await Promise.all([closeRedis(this.cmd), closeRedis(this.#sub)])
  }

  #watch(client: Redis, setReady: (ready: boolean) => void, onReady?: () => Promise<void>): void {
    client.on('ready', () => {
      if (!onReady) { setReady(true); this.#report(); return }
      onReady().then(() => { setReady(client.status === 'ready'); this.#report() }, (err: Error) => this.#fail(err))
    })
    client.on('close', () => { setReady(false); this.#report() })
    client.on('error', (err: Error) => this.#fail(err))
  }

  async #subscribe(): Promise<void> {
    await this.#sub.subscribe(this.#channel)
  }

  #fail(err: Error): void {
    this.#lastError = err.message
    this.#events.error(err)
  }

  #report(): void {
    if (this.#closing) return
    const next = this.#cmdReady && this.#subReady ? 'connected' : 'disconnected'
    // Before the first success only a definite failure (a closed connection) is worth reporting.
    if (next === this.#state || (next === 'disconnected' && this.#state === 'unknown' && this.#pending())) return
    this.#state = next
    if (next === 'connected') this.#events.connected()
    else this.#events.disconnected(this.#lastError)
  }

  /** Both connections are still on their first attempt (nothing to report yet). */
  #pending(): boolean {
    const starting = (c: Redis) => c.status === 'wait' || c.status === 'connecting' || c.status === 'connect' || c.status === 'ready'
    return starting(this.cmd) && starting(this.#sub)
  }
}
