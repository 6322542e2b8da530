import { BalancedPool, Pool, type buildConnector, type Dispatcher } from 'undici'
import type { Logger } from 'pino'
import type { HostRule, RouteConfig, Side, SideTransport } from '../../config/types.js'
import { defaultTransport, originConnector, sessionServername } from './upstream-tls.js'
import { TimeSlice } from '../../util/time-slice.js'

/**
 * One side of one route: where its requests go. The dispatcher is shared by every route that
 * names the same origins with the same connect timeout, and owned by {@link UpstreamPools}.
 */
export interface Backend {
  readonly side: Side
  readonly origins: readonly string[]
  /** A Pool for one origin, a BalancedPool for a list. */
  readonly dispatcher: Dispatcher
  readonly host: HostRule
  /**
   * Passed as every request's `servername`, so undici never derives one from the client's Host
   * (it would reconnect whenever the Host changes). The connector sets the real one per origin.
   */
  readonly servername: string | undefined
}

export interface RouteBackends {
  readonly old: Backend
  readonly new: Backend
  /** new's origins in a pool of their own, for shadow calls (routes with a shadow block only). */
  readonly shadow?: Backend
}

/** The outcome of `prepare`: each route's backends and every pool they use, by key. */
export interface PreparedPools {
  readonly routes: readonly RouteConfig[]
  readonly generation: number
  readonly backends: Map<string, RouteBackends>
  readonly dispatchers: Map<string, Dispatcher>
  readonly shadowDispatchers: Map<string, Dispatcher>
}

function emptyPrepared(routes: readonly RouteConfig[], generation: number): PreparedPools {
  return { routes, generation, backends: new Map(), dispatchers: new Map(), shadowDispatchers: new Map() }
}

interface RouteEntry {
  readonly backends: RouteBackends
  /** The pools it uses, by key (real traffic, then shadow calls). */
  readonly dispatchers: ReadonlyMap<string, Dispatcher>
  readonly shadowDispatchers: ReadonlyMap<string, Dispatcher>
}

/**
 * A slow backend must not be able to make sluice open thousands of sockets (undici's default is
 * unlimited); 256 per origin is far above what one keep-alive origin needs at this proxy's speed.
 */
export const CONNECTIONS_PER_ORIGIN = 256
/** Below Node's default server keep-alive (5 s), so a backend never closes a socket we are reusing. */
export const UPSTREAM_KEEP_ALIVE_MS = 4_000

/**
 * The undici dispatchers for a route set. `replace` is called on every route or state change: it
 * keeps the dispatcher of an unchanged origin list (its warm keep-alive sockets survive a percent
 * change or a reload) and closes, gracefully, the ones no route uses any more.
 * Header and body timeouts are per request (they differ per route), so they are not part of the key.
 */
export class UpstreamPools {
  #byKey = new Map<string, Dispatcher>()
  /** Shadow calls' pools: never shared with real traffic, destroyed (not drained) at close. */
  #shadowByKey = new Map<string, Dispatcher>()
  /** Made for routes not yet in use (by `prepare`, or earlier in the same `replace`). */
  #pending = new Map<string, Dispatcher>()
  #pendingShadow = new Map<string, Dispatcher>()
  readonly #byRoute = new WeakMap<RouteConfig, RouteEntry>()
  /** Counts commits: a prepared set is committed only onto the pools it was prepared from. */
  #generation = 0
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  replace(routes: readonly RouteConfig[]): Map<string, RouteBackends> {
    const next = emptyPrepared(routes, this.#generation)
    for (const route of routes) this.#add(next, route)
    return this.commit(next)
  }

  /**
   * What `replace(routes)` does before it swaps, a slice of routes at a time with a turn of the
   * event loop in between: `commit` then swaps quickly (a reload of 10,000 routes).
   */
  async prepare(routes: readonly RouteConfig[]): Promise<PreparedPools> {
    const next = emptyPrepared(routes, this.#generation)
    const slice = new TimeSlice()
    for (const route of routes) {
      await slice.pass()
      this.#add(next, route)
    }
    return next
  }

  /** Make prepared pools the ones in use; close, gracefully, those no route uses any more. */
  commit(prepared: PreparedPools): Map<string, RouteBackends> {
    // Another replace since it was prepared may have closed pools it holds: make it again, now.
    if (prepared.generation !== this.#generation) return this.replace(prepared.routes)
    this.#generation++
    const { dispatchers: next, shadowDispatchers: nextShadow } = prepared
    for (const [key, dispatcher] of [...this.#byKey, ...this.#pending]) {
      if (next.get(key) !== dispatcher) this.#closeQuietly(dispatcher)
    }
    for (const [key, dispatcher] of [...this.#shadowByKey, ...this.#pendingShadow]) {
      if (nextShadow.get(key) !== dispatcher) this.#closeQuietly(dispatcher)
    }
    this.#byKey = new Map(next)
    this.#shadowByKey = new Map(nextShadow)
    this.#pending = new Map()
    this.#pendingShadow = new Map()
    return prepared.backends
  }

  #add(next: PreparedPools, route: RouteConfig): void {
    const entry = this.#entry(route)
    next.backends.set(route.name, entry.backends)
    for (const [key, dispatcher] of entry.dispatchers) next.dispatchers.set(key, dispatcher)
    for (const [key, dispatcher] of entry.shadowDispatchers) next.shadowDispatchers.set(key, dispatcher)
  }

  /** A route's backends, reused while the route is the same object and its pools are still the ones in use. */
  #entry(route: RouteConfig): RouteEntry {
    const hit = this.#byRoute.get(route)
    if (hit !== undefined && this.#current(hit.dispatchers, this.#byKey, this.#pending)
      && this.#current(hit.shadowDispatchers, this.#shadowByKey, this.#pendingShadow)) return hit
    const dispatchers = new Map<string, Dispatcher>()
    const shadowDispatchers = new Map<string, Dispatcher>()
    const connectMs = route.timeouts.connectMs
    const newTransport = route.transport?.new ?? defaultTransport(route.new)
    const backends: RouteBackends = {
      old: this.#backend('old', route.old, route.transport?.old ?? defaultTransport(route.old), connectMs, dispatchers, this.#byKey, this.#pending),
      new: this.#backend('new', route.new, newTransport, connectMs, dispatchers, this.#byKey, this.#pending),
      ...(route.shadow
        ? { shadow: this.#backend('new', route.new, newTransport, connectMs, shadowDispatchers, this.#shadowByKey, this.#pendingShadow) }
        : {}),
    }
    const entry = { backends, dispatchers, shadowDispatchers }
    this.#byRoute.set(route, entry)
    return entry
  }

  #current(
    used: ReadonlyMap<string, Dispatcher>, inUse: ReadonlyMap<string, Dispatcher>,
    pending: ReadonlyMap<string, Dispatcher>,
  ): boolean {
    for (const [key, dispatcher] of used) if ((inUse.get(key) ?? pending.get(key)) !== dispatcher) return false
    return true
  }

  /** Graceful close waits for requests already sent; `destroy` aborts them. */
  async close(graceful: boolean): Promise<void> {
    const all = [...this.#byKey.values(), ...this.#pending.values()]
    const shadows = [...this.#shadowByKey.values(), ...this.#pendingShadow.values()]
    this.#byKey = new Map()
    this.#shadowByKey = new Map()
    this.#pending = new Map()
    this.#pendingShadow = new Map()
    // A shadow call answers nobody: shutdown never waits for one.
    await Promise.allSettled([
      ...all.map((d) => (graceful ? d.close() : d.destroy())),
      ...shadows.map((d) => d.destroy()),
    ])
  }

  #backend(
    side: Side, origins: readonly string[], transport: SideTransport, connectMs: number,
    used: Map<string, Dispatcher>, inUse: ReadonlyMap<string, Dispatcher>, pending: Map<string, Dispatcher>,
  ): Backend {
    // TLS settings (PEM texts included) are part of the key: changed certificates get a new pool.
    const key = `${connectMs} ${origins.join(' ')} ${JSON.stringify(transport.tls)}`
    let dispatcher = inUse.get(key) ?? pending.get(key)
    if (dispatcher === undefined) {
      dispatcher = createDispatcher(origins, transport, connectMs)
      pending.set(key, dispatcher)
    }
    used.set(key, dispatcher)
    return Object.freeze({ side, origins, dispatcher, host: transport.host, servername: sessionServername(origins) })
  }

  #closeQuietly(dispatcher: Dispatcher): void {
    dispatcher.close().catch((err: unknown) => this.#logger.warn({ err }, 'closing an unused upstream pool failed'))
  }
}

function createDispatcher(origins: readonly string[], transport: SideTransport, connectMs: number): Dispatcher {
  const options: Pool.Options = {
    connections: CONNECTIONS_PER_ORIGIN,
    // Arbitrary backends: no head-of-line blocking, no surprises from servers that mishandle pipelining.
    pipelining: 1,
    keepAliveTimeout: UPSTREAM_KEEP_ALIVE_MS,
    connectTimeout: connectMs,
  }
  const connectorOf = (origin: string): buildConnector.connector =>
    originConnector(origin, transport.tls[origins.indexOf(origin)], connectMs)
  const [first] = origins
  if (origins.length === 1 && first !== undefined) return new Pool(first, { ...options, connect: connectorOf(first) })
  // One Pool per origin, each with its own connector (server name and TLS of that origin).
  // undici passes the origin as a string (its types say URL).
  const factory = (origin: URL | string, opts: object): Dispatcher => {
    const text = typeof origin === 'string' ? origin : origin.origin
    return new Pool(text, { ...(opts as Pool.Options), connect: connectorOf(text) })
  }
  return new BalancedPool([...origins], { ...options, factory })
}
