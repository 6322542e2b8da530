import { BalancedPool, Pool, type buildConnector, type Dispatcher } from 'undici'
import type { Logger } from 'pino'
import type { HostRule, RouteConfig, Side, SideTransport } from '../../config/types.js'
import { defaultTransport, originConnector, sessionServername } from './upstream-tls.js'

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
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  replace(routes: readonly RouteConfig[]): Map<string, RouteBackends> {
    const next = new Map<string, Dispatcher>()
    const nextShadow = new Map<string, Dispatcher>()
    const out = new Map<string, RouteBackends>()
    for (const route of routes) {
      const connectMs = route.timeouts.connectMs
      const newTransport = route.transport?.new ?? defaultTransport(route.new)
      out.set(route.name, {
        old: this.#backend('old', route.old, route.transport?.old ?? defaultTransport(route.old), connectMs, next, this.#byKey),
        new: this.#backend('new', route.new, newTransport, connectMs, next, this.#byKey),
        ...(route.shadow ? { shadow: this.#backend('new', route.new, newTransport, connectMs, nextShadow, this.#shadowByKey) } : {}),
      })
    }
    for (const [key, dispatcher] of this.#byKey) {
      if (!next.has(key)) this.#closeQuietly(dispatcher)
    }
    for (const [key, dispatcher] of this.#shadowByKey) {
      if (!nextShadow.has(key)) this.#closeQuietly(dispatcher)
    }
    this.#byKey = next
    this.#shadowByKey = nextShadow
    return out
  }

  /** Graceful close waits for requests already sent; `destroy` aborts them. */
  async close(graceful: boolean): Promise<void> {
    const all = [...this.#byKey.values()]
    const shadows = [...this.#shadowByKey.values()]
    this.#byKey = new Map()
    this.#shadowByKey = new Map()
    // A shadow call answers nobody: shutdown never waits for one.
    await Promise.allSettled([
      ...all.map((d) => (graceful ? d.close() : d.destroy())),
      ...shadows.map((d) => d.destroy()),
    ])
  }

  #backend(
    side: Side,
    origins: readonly string[],
    transport: SideTransport,
    connectMs: number,
    next: Map<string, Dispatcher>,
    prev: Map<string, Dispatcher>,
  ): Backend {
    // TLS settings (PEM texts included) are part of the key: changed certificates get a new pool.
    const key = `${connectMs} ${origins.join(' ')} ${JSON.stringify(transport.tls)}`
    let dispatcher = next.get(key) ?? prev.get(key)
    if (dispatcher === undefined) dispatcher = createDispatcher(origins, transport, connectMs)
    next.set(key, dispatcher)
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
