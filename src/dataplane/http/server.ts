import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerOptions } from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { ListenAddress, ListenerTls, RouteConfig } from '../../config/types.js'
import type { TargetView } from '../../core/types.js'
import { SluiceError } from '../../util/errors.js'
import type { OutcomeBus } from '../../observe/events.js'
import type { GoalCounter } from '../../observe/goals.js'
import { ShadowLedger, type RouteShadowStats } from '../../observe/shadow.js'
import { IdleWaiters } from '../../util/idle-waiters.js'
import { systemRandom, type Random } from '../../util/random.js'
import type { PlaneState } from './context.js'
import { onResponseClose, watchQueuedResponse } from './outcome.js'
import { HTTP_PASSES } from './passes/index.js'
import { runPasses } from './pipeline.js'
import { compileRoutes, EMPTY_TABLE, prepareTable, withViews, type CompiledRoute, type RouteTable } from './route-table.js'
import { HttpLeg } from './upstream-leg/leg.js'
import { ProxyResponse } from './upstream-leg/state.js'
import { UpstreamPools, type PreparedPools, type RouteBackends } from './upstream.js'
import { handleUpgrade } from './upgrade.js'
import type { Tunnel } from './websocket.js'

/** What `prepareRoutes` made for `installRoutes`: the pools, and the table compiled from them. */
export interface PreparedRoutes {
  readonly pools: PreparedPools
  readonly views: ReadonlyMap<string, TargetView>
  readonly table: RouteTable
  /** The shadow figures the table was compiled with, by route. */
  readonly statsRead: ReadonlyMap<string, RouteShadowStats | undefined>
}

export interface HttpDataPlaneOptions {
  listen: ListenAddress
  /** Receives one Outcome per client request that reached a decision (and per WebSocket upgrade). */
  bus: OutcomeBus
  logger: Logger
  /** Used for decisions of requests without a key. */
  random?: Random
  /** Per-request access log, off by default; `sample` is the share of requests logged (0..1). */
  access?: { enabled: boolean; sample: number }
  /** Counts `/_sluice/goal` events (README "Judging business outcomes"); without it that endpoint 404s. */
  goals?: GoalCounter
  /** Speak HTTPS with this certificate; absent = plain HTTP. */
  tls?: ListenerTls | undefined
  /** Where shadow calls are counted (README "Shadow traffic"); default: a ledger of its own, without metrics. */
  shadow?: ShadowLedger
}

/**
 * Client-side timers. Keep-alive longer than the idle timeout of any load
 * balancer in front (AWS ALB: 60 s); headers must arrive within 20 s (slowloris); no whole-request
 * deadline, since long uploads are legitimate and the route's idle timeout covers stalls; and the
 * timers are checked every second instead of Node's coarse 30 s.
 */
const KEEP_ALIVE_MS = 65_000
const HEADERS_TIMEOUT_MS = 20_000
const CHECK_INTERVAL_MS = 1_000
/** After the deadline, how long close() waits for the destroyed requests' close events. */
const CUT_OFF_GRACE_MS = 1_000

/**
 * The HTTP data plane: the listener, the passes pipeline over undici, WebSocket hand-off and
 * graceful shutdown. Guarantees: one Outcome per decided request, published when its response
 * closed; route and view changes apply to the next request without dropping warm upstream pools;
 * after startDrain/close every response carries `connection: close`.
 */
export class HttpDataPlane {
  readonly #server: Server<typeof IncomingMessage, typeof ProxyResponse>
  readonly #plane: Plane
  readonly #pools: UpstreamPools
  readonly #tunnels = new Set<Tunnel>()
  readonly #listen: ListenAddress
  readonly #logger: Logger
  #backendsFor: { readonly routes: readonly RouteConfig[]; readonly backends: Map<string, RouteBackends> } | undefined
  /** Shadow traffic's figures per route. */
  readonly shadow: ShadowLedger
  #closing: Promise<void> | undefined

  constructor(opts: HttpDataPlaneOptions) {
    this.#listen = opts.listen
    this.#logger = opts.logger
    this.shadow = opts.shadow ?? new ShadowLedger()
    this.#plane = new Plane(opts, () => this.#server.closeIdleConnections())
    this.#pools = new UpstreamPools(opts.logger)
    const options: ServerOptions<typeof IncomingMessage, typeof ProxyResponse> = {
      ServerResponse: ProxyResponse,
      keepAliveTimeout: KEEP_ALIVE_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: 0,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
    }
    // An https.Server is an http.Server over TLS sockets: everything below works on both.
    this.#server = opts.tls === undefined
      ? createServer(options)
      : createHttpsServer({ ...options, cert: opts.tls.cert, key: opts.tls.key }) as unknown as
        Server<typeof IncomingMessage, typeof ProxyResponse>
    this.#server.keepAliveTimeout = KEEP_ALIVE_MS
    // Node keeps only the first 2000 header lines in req.headers/rawHeaders (maxHeadersCount) while
    // its parser frames the body with all of them: a Transfer-Encoding past the limit would be
    // invisible to check-framing. No count limit; the 16 KB header size limit (431) bounds them.
    this.#server.maxHeadersCount = 0
    this.#server.on('request', this.#onRequest)
    this.#server.on('checkContinue', this.#onCheckContinue)
    this.#server.on('upgrade', this.#onUpgrade)
    this.#server.on('clientError', this.#onClientError)
  }

  /**
   * Install routes and their decision views (by route name). Called at start, after every reload and
   * every live-state change. Reuses undici pools for unchanged origin lists; closes unused ones gracefully.
   */
  setRoutes(routes: readonly RouteConfig[], views: ReadonlyMap<string, TargetView>): void {
    if (this.#closing !== undefined) return
    for (const r of routes) {
      if (!views.has(r.name)) throw new Error(`route '${r.name}' has no view: setRoutes needs one for every route`)
    }
    this.shadow.configure(routes)
    // The same route list (a live change, not a reload) keeps its dispatchers: no need to look again.
    if (routes !== this.#backendsFor?.routes) this.#backendsFor = { routes, backends: this.#pools.replace(routes) }
    const shadowStats = (name: string) => this.shadow.stats(name)
    this.#plane.table = compileRoutes(routes, views, this.#backendsFor.backends, shadowStats, this.#plane.table)
  }

  /**
   * A live change of a few routes (their new views by name) on the running route list: only those
   * routes are compiled again. The same as `setRoutes(routes, all views)` with the other views unchanged.
   */
  updateViews(
    routes: readonly RouteConfig[], changed: ReadonlyMap<string, TargetView>, all: ReadonlyMap<string, TargetView>,
  ): void {
    if (this.#closing !== undefined) return
    const shadowStats = (name: string) => this.shadow.stats(name)
    const table = routes === this.#backendsFor?.routes
      ? withViews(this.#plane.table, routes, changed, shadowStats)
      : undefined
    if (table === undefined) this.setRoutes(routes, all)
    else this.#plane.table = table
  }

  /**
   * Make, a slice at a time, what `installRoutes` needs (backends, compiled routes) so that the
   * swap itself is quick: a reload of 10,000 routes never holds requests for long.
   */
  async prepareRoutes(routes: readonly RouteConfig[], views: ReadonlyMap<string, TargetView>): Promise<PreparedRoutes> {
    const pools = await this.#pools.prepare(routes)
    const statsRead = new Map<string, RouteShadowStats | undefined>()
    const stats = (name: string) => {
      const s = this.shadow.stats(name)
      statsRead.set(name, s)
      return s
    }
    const table = await prepareTable(routes, views, pools.backends, stats, this.#plane.table)
    return { pools, views, table, statsRead }
  }

  /**
   * `setRoutes` with what `prepareRoutes` made: the prepared table is assigned as it is when its
   * backends and shadow figures are still the current ones (the usual case); else compiled again.
   */
  installRoutes(prepared: PreparedRoutes): void {
    if (this.#closing !== undefined) return
    const { pools, views, table, statsRead } = prepared
    const { routes } = pools
    this.shadow.configure(routes)
    const backends = this.#pools.commit(pools)
    this.#backendsFor = { routes, backends }
    let current = backends === pools.backends
    for (const r of routes) {
      if (r.shadow !== undefined && statsRead.get(r.name) !== this.shadow.stats(r.name)) current = false
    }
    const stats = (name: string) => this.shadow.stats(name)
    this.#plane.table = current ? table : compileRoutes(routes, views, backends, stats, this.#plane.table)
  }

  /**
   * The routes with their live views, exactly as the next request sees them: the admin plane's
   * OpenFeature evaluation decides on these, so a flag answers what the proxy would do.
   */
  get routes(): readonly CompiledRoute[] {
    return this.#plane.table.routes
  }

  /**
   * A renewed certificate (a reload): new handshakes use it, connections already open keep theirs.
   * A listener started without TLS stays plain HTTP until a restart (app/log.ts says so).
   */
  setTls(tls: ListenerTls | undefined): void {
    if (tls === undefined || !('setSecureContext' in this.#server)) return
    ;(this.#server as unknown as HttpsServer).setSecureContext({ cert: tls.cert, key: tls.key })
  }

  listen(): Promise<{ host: string; port: number }> {
    const { host, port } = this.#listen
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new SluiceError('SLUICE_ERR_LISTEN', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err }))
      }
      this.#server.once('error', onError)
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError)
        this.#server.on('error', (err) => this.#logger.error({ err }, 'data plane listener failed'))
        const a = this.#server.address() as AddressInfo
        resolve({ host: a.address, port: a.port })
      })
    })
  }

  /** Draining: every response from now on carries `connection: close`; idle keep-alive sockets close now. */
  startDrain(): void {
    this.#plane.draining = true
    this.#server.closeIdleConnections()
  }

  /**
   * Stop accepting, let in-flight requests finish within `timeoutMs` (answering with connection: close),
   * then destroy what remains (sockets, WebSocket tunnels) and close the upstream pools.
   * Tunnels are not waited for: a WebSocket session can outlive any deadline, and clients reconnect.
   */
  close(timeoutMs: number): Promise<void> {
    this.#closing ??= this.#close(timeoutMs)
    return this.#closing
  }

  inflight(): number {
    return this.#plane.inflight
  }

  async #close(timeoutMs: number): Promise<void> {
    this.startDrain()
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    const finished = await this.#plane.whenIdle(timeoutMs)
    if (!finished) this.#logger.warn({ inflight: this.#plane.inflight, timeoutMs }, 'in-flight requests cut off at the shutdown deadline')
    this.#server.closeAllConnections()
    for (const t of [...this.#tunnels]) t.destroy()
    this.#tunnels.clear()
    // Destroyed sockets report 'close' a little later; their outcomes are published by then.
    if (!finished) await this.#plane.whenIdle(CUT_OFF_GRACE_MS)
    await closed
    await this.#pools.close(finished)
  }

  readonly #onRequest = (req: IncomingMessage, res: ProxyResponse): void => {
    const ctx = new HttpLeg(this.#plane, req, res)
    res.ctx = ctx
    res.on('close', onResponseClose)
    // Pipelined behind an unfinished response: Node gives it no 'close' if the connection dies first.
    if (res.socket === null) watchQueuedResponse(req.socket, res)
    this.#plane.inflight++
    runPasses(ctx, HTTP_PASSES)
  }

  /**
   * `Expect: 100-continue`. Node would write the 100 at once, also for a response queued behind an
   * unfinished one on a pipelined connection; it then lands after that response's head (Node puts a
   * buffered head before the buffered 100), a stream no client can parse. A queued response sends
   * its 100 when it gets the connection, unless its own head is written by then.
   */
  readonly #onCheckContinue = (req: IncomingMessage, res: ProxyResponse): void => {
    if (res.socket !== null) res.writeContinue()
    else res.once('socket', continueUnlessAnswered)
    this.#onRequest(req, res)
  }

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    handleUpgrade(this.#plane, this.#tunnels, req, socket, head)
  }

  /** Node's parser refused the request (malformed, smuggling attempt, timeout): answer and close. */
  readonly #onClientError = (err: NodeJS.ErrnoException, socket: Duplex): void => {
    this.#logger.debug({ code: err.code, reason: err.message }, 'client request refused by the HTTP parser')
    // Raw bytes may only go out when no response is under way on this socket (as Node's default does),
    // and not for a broken body of a request already answered: that 400 would answer nothing.
    if (err.code === 'ECONNRESET' || !socket.writable || hasPendingResponse(socket) || inBody(socket)) return void socket.destroy()
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy())
  }
}

function continueUnlessAnswered(this: ProxyResponse): void {
  if (!this.headersSent) this.writeContinue()
}

/** Node keeps the response being written on `socket._httpMessage` (internal, stable since Node 0.x). */
function hasPendingResponse(socket: Duplex): boolean {
  return (socket as Duplex & { _httpMessage?: unknown })._httpMessage != null
}

/**
 * The parser failed inside the body of a request it already handed over (its response may be out):
 * Node's parser keeps that request on `socket.parser.incoming` until the next one (internal, stable
 * since Node 0.x), incomplete until its body ended.
 */
function inBody(socket: Duplex): boolean {
  const incoming = (socket as Duplex & { parser?: { incoming?: IncomingMessage | null } | null }).parser?.incoming
  return incoming != null && !incoming.complete
}

/** The shared state behind PlaneState, plus in-flight counting for close(). */
class Plane implements PlaneState {
  table: RouteTable = EMPTY_TABLE
  draining = false
  inflight = 0
  readonly random: Random
  readonly bus: OutcomeBus
  readonly logger: Logger
  readonly access: { readonly enabled: boolean; readonly sample: number }
  readonly goals: GoalCounter | undefined
  readonly #idle = new IdleWaiters()
  readonly #closeIdleConnections: () => void

  constructor(opts: HttpDataPlaneOptions, closeIdleConnections: () => void) {
    this.#closeIdleConnections = closeIdleConnections
    this.random = opts.random ?? systemRandom
    this.bus = opts.bus
    this.logger = opts.logger
    this.access = opts.access ?? { enabled: false, sample: 1 }
    this.goals = opts.goals
  }

  requestDone(): void {
    this.inflight--
    // A response whose head went out before the drain began kept its socket alive: close it now that
    // it is idle, rather than waiting for close().
    if (this.draining) this.#closeIdleConnections()
    if (this.inflight === 0) this.#idle.idle()
  }

  /** Resolves true when no request is in flight, false when `timeoutMs` passed first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    return this.#idle.wait(this.inflight === 0, timeoutMs)
  }
}
