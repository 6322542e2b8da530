import type { IncomingMessage } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { pipeline } from 'node:stream'
import type { Dispatcher } from 'undici'
import { ErrorCodes } from '../../util/errors.js'
import type { UpstreamErrorReason } from '../../observe/events.js'
import { connectionTokens, isConnectionScoped } from './hop-by-hop.js'
import { errorBody } from './upstream-leg/answer.js'
import { mapUpstreamError, type UpstreamFailure } from './upstream-leg/error-map.js'

/**
 * WebSocket upgrades as a byte tunnel over an undici dispatcher.
 *
 * `dispatch({ upgrade: 'websocket' })` rather than undici's promise `upgrade()`: the promise rejects
 * on a non-101 answer, so a backend's 401/403 would be lost; `dispatch` hands it to us intact.
 * Once upgraded, both sockets are joined with `stream.pipeline(up, client, up)` and torn down
 * together: http-proxy only half-closes the upstream when the client resets, leaking it for as long
 * as the backend keeps its side open (http-party/node-http-proxy#1510).
 */

/** A running (or finishing) tunnel, as the data plane holds it for shutdown. */
export interface Tunnel {
  /** Destroys both sockets at once (or aborts the handshake); `onDone` still runs, once. */
  destroy(): void
}

/** What `tunnelWebSocket` reports when the client socket is gone and the upstream released. */
export interface TunnelResult {
  /**
   * 101 for a tunnel, the backend's status for a refused upgrade, 502/504 from sluice, 0 when the
   * client left first.
   */
  readonly status: number
  /** Transport trouble with the backend before or while it answered the upgrade; never set for events after a 101. */
  readonly error: UpstreamErrorReason | undefined
  /**
   * From the call to the backend's answer (or failure): the handshake latency. Deliberately not the
   * session length, which would drown the route's latency histogram and p99 analysis.
   */
  readonly durationMs: number
  /** The first side refused the connection and the handshake was retried on `fallback`. */
  readonly fellBack: boolean
}

/** Where a handshake goes when the first side refuses the connection (nothing was sent: safe to retry). */
export interface TunnelFallback {
  readonly dispatcher: Dispatcher
  /** The upstream headers for the fallback side (its own Host rule); default: the first side's. */
  readonly headers?: string[]
  readonly backendHeader: 'old' | 'new' | undefined
}

export interface TunnelArgs {
  readonly req: IncomingMessage
  readonly socket: Duplex
  /** Bytes the client sent after its request head (early frames): forwarded first. */
  readonly head: Buffer
  /** The chosen side's Pool or BalancedPool. */
  readonly dispatcher: Dispatcher
  /** The request target, as received (req.url). */
  readonly path: string
  /** Flat [name, value, …]: hop-by-hop already removed (no connection/upgrade), x-forwarded-* added, Host kept. */
  readonly headers: string[]
  /** Idle timeout of the established tunnel, on both sockets. */
  readonly idleMs: number
  /** Adds `x-sluice-backend` to whatever answer the client gets, when set. */
  readonly backendHeader: 'old' | 'new' | undefined
  /** How long the backend may take to answer the handshake (the route's header timeout); undici's 300 s otherwise. */
  readonly headersTimeout?: number
  /** Retried here once when the connection is refused (the data plane's new → old fallback). */
  readonly fallback?: TunnelFallback | undefined
  /** A Set-Cookie value (an assigned sticky id) added to whatever answer the client gets. */
  readonly setCookie?: string | undefined
  /** Told about a bug in the tunnel's own handling (the tunnel is closed): for the log. */
  readonly onBug?: ((err: unknown) => void) | undefined
  /** Called exactly once, after the client socket closed. */
  readonly onDone: (r: TunnelResult) => void
}

/**
 * True for a WebSocket opening handshake (RFC 6455 §4.1) and nothing else: GET, `Upgrade: websocket`,
 * a `Connection` list holding `upgrade`, version 13 and a key. Other upgrades (notably `h2c`) must
 * never be tunnelled, or a client could smuggle requests past the proxy.
 */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const h = req.headers
  return req.method === 'GET' &&
    typeof h.upgrade === 'string' && h.upgrade.trim().toLowerCase() === 'websocket' &&
    typeof h.connection === 'string' && hasToken(h.connection, 'upgrade') &&
    h['sec-websocket-version'] === '13' &&
    typeof h['sec-websocket-key'] === 'string' && h['sec-websocket-key'].length > 0
}

function hasToken(list: string, token: string): boolean {
  for (const part of list.split(',')) if (part.trim().toLowerCase() === token) return true
  return false
}

/** Starts the handshake with the backend; the returned tunnel owns both sockets from here on. */
export function tunnelWebSocket(args: TunnelArgs): Tunnel {
  const tunnel = new WsTunnel(args)
  tunnel.start()
  return tunnel
}

/** A client that never closes after a refused upgrade is cut off after this long. */
const LINGER_MS = 5_000

type Phase = 'handshake' | 'relay' | 'tunnel' | 'closing'

class WsTunnel implements Dispatcher.DispatchHandler, Tunnel {
  readonly #args: TunnelArgs
  readonly #client: Duplex
  readonly #startedAt = performance.now()
  #phase: Phase = 'handshake'
  #controller: Dispatcher.DispatchController | undefined
  #upstream: Duplex | undefined
  #status = 0
  #error: UpstreamErrorReason | undefined
  #durationMs = 0
  #done = false
  #fellBack = false
  #backendHeader: 'old' | 'new' | undefined
  /**
   * The one function allocated per tunnel: the client's 'close' and the pipeline's end both finish
   * the tunnel. An upgrade is once per session, not per request, so this is off the hot path.
   */
  readonly #finish = (): void => this.#close()

  constructor(args: TunnelArgs) {
    this.#args = args
    this.#client = args.socket
    this.#backendHeader = args.backendHeader
  }

  start(): void {
    const client = this.#client
    // Node removed its own listeners when it emitted 'upgrade': without one, an RST would throw.
    client.on('error', ignoreError)
    client.once('close', this.#finish)
    if (client.destroyed) return this.#close()
    this.#dispatch(this.#args.dispatcher)
  }

  #dispatch(dispatcher: Dispatcher, headers = this.#args.headers): void {
    const args = this.#args
    try {
      dispatcher.dispatch({
        method: 'GET', path: args.path, headers, upgrade: 'websocket',
        ...(args.headersTimeout === undefined ? {} : { headersTimeout: args.headersTimeout }),
      }, this)
    } catch (err) {
      this.onResponseError(undefined, err as Error)
    }
  }

  destroy(): void {
    this.#close()
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller
    // The client may have gone while the connection was being made.
    if (this.#phase === 'closing') controller.abort(new Error('client closed'))
  }

  // The undici callbacks that do real work are guarded: an exception thrown inside one would surface
  // in undici's socket handlers and end the process. A bug closes this tunnel, nothing more.
  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, _h: unknown, socket: Duplex): void {
    try {
      this.#upgraded(controller, statusCode, socket)
    } catch (err) {
      this.#bug(err, socket)
    }
  }

  onResponseStart(
    controller: Dispatcher.DispatchController, statusCode: number, _h: unknown, statusMessage?: string,
  ): void {
    try {
      this.#refused(controller, statusCode, statusMessage)
    } catch (err) {
      this.#bug(err, undefined)
    }
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    try {
      this.#failed(err)
    } catch (bug) {
      this.#bug(bug, undefined)
    }
  }

  #bug(err: unknown, upstream: Duplex | undefined): void {
    upstream?.destroy()
    this.#args.onBug?.(err)
    this.#close()
  }

  #upgraded(controller: Dispatcher.DispatchController, statusCode: number, socket: Duplex): void {
    this.#answered(statusCode)
    this.#upstream = socket
    socket.on('error', ignoreError)
    const client = this.#client
    if (this.#phase === 'closing' || client.destroyed) return void socket.destroy()
    this.#phase = 'tunnel'
    const head = headLines(101, 'Switching Protocols', controller.rawHeaders, false) +
      'connection: Upgrade\r\nupgrade: websocket\r\n' + this.#backendLine() + '\r\n'
    client.write(head, 'latin1')
    // The client's early frames go first, then whatever it sends next.
    if (this.#args.head.length > 0) client.unshift(this.#args.head)
    setIdle(client, this.#args.idleMs)
    setIdle(socket, this.#args.idleMs)
    // Either side ending, erroring or resetting ends the pipeline, and #close destroys both.
    pipeline(socket, client, socket, this.#finish)
  }

  /** The backend answered the handshake with something other than 101: relayed, then the connection ends. */
  #refused(controller: Dispatcher.DispatchController, statusCode: number, statusMessage: string | undefined): void {
    if (statusCode < 200) return // interim answers are not relayed
    this.#answered(statusCode)
    if (this.#phase === 'closing' || this.#client.destroyed) return controller.abort(new Error('client closed'))
    this.#phase = 'relay'
    const reason = statusMessage !== undefined && statusMessage !== '' ? statusMessage : (STATUS_CODES[statusCode] ?? '')
    this.#client.write(headLines(statusCode, reason, controller.rawHeaders, true) +
      'connection: close\r\n' + this.#backendLine() + '\r\n', 'latin1')
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#client.destroyed) return controller.abort(new Error('client closed'))
    if (!this.#client.write(chunk)) {
      controller.pause()
      this.#client.once('drain', resumeController.bind(controller))
    }
  }

  onResponseEnd(): void {
    this.#endClient()
  }

  #failed(err: Error): void {
    if (this.#phase === 'closing') return this.#close()
    const failure = mapUpstreamError(err)
    // The error is about the first side; a failing fallback does not overwrite it.
    if (!this.#fellBack) this.#error = failure.reason
    // With the head already out, all that is left is to cut the body short.
    if (this.#phase === 'relay') return void this.#client.destroy()
    if (this.#phase !== 'handshake') return
    if (this.#canFallBack(failure)) return this.#fallBack(this.#args.fallback!)
    this.#answered(failure.status)
    this.#phase = 'relay'
    this.#writeError(failure)
  }

  /** A handshake is a bodyless GET: after a connect failure nothing reached the backend, so retrying is safe. */
  #canFallBack(failure: UpstreamFailure): boolean {
    return failure.nothingSent && this.#args.fallback !== undefined && !this.#fellBack && !this.#client.destroyed
  }

  #fallBack(fallback: TunnelFallback): void {
    this.#fellBack = true
    this.#controller = undefined
    this.#backendHeader = fallback.backendHeader
    // On the next tick: outside undici's error callback for the failed attempt.
    process.nextTick(() => {
      if (this.#phase === 'handshake') this.#dispatch(fallback.dispatcher, fallback.headers)
    })
  }

  #answered(status: number): void {
    this.#status = status
    this.#durationMs = performance.now() - this.#startedAt
  }

  /** sluice's own header lines on any answer: `x-sluice-backend` and an assigned-id cookie, when set. */
  #backendLine(): string {
    const side = this.#backendHeader
    const cookie = this.#args.setCookie
    return (side === undefined ? '' : `x-sluice-backend: ${side}\r\n`) + (cookie === undefined ? '' : `set-cookie: ${cookie}\r\n`)
  }

  #writeError(failure: UpstreamFailure): void {
    const body = errorBody(failure.code, ErrorCodes[failure.code].message)
    this.#client.write(`HTTP/1.1 ${failure.status} ${STATUS_CODES[failure.status] ?? ''}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${this.#backendLine()}\r\n${body}`)
    this.#endClient()
  }

  /** Ends a relayed answer politely: keep draining the client until it closes, within LINGER_MS. */
  #endClient(): void {
    const client = this.#client
    if (client.destroyed) return
    client.end()
    setIdle(client, LINGER_MS)
    client.resume()
  }

  #close(): void {
    const pending = this.#phase === 'handshake' || this.#phase === 'relay'
    // 'closing' first: an abort calls onResponseError synchronously, which must not answer 502.
    this.#phase = 'closing'
    if (pending) this.#controller?.abort(new Error('tunnel closed'))
    this.#client.destroy()
    this.#upstream?.destroy()
    if (this.#done) return
    this.#done = true
    this.#args.onDone({
      status: this.#status, error: this.#error, durationMs: this.#durationMs, fellBack: this.#fellBack,
    })
  }
}

/**
 * The status line and the backend's headers minus hop-by-hop ones, those its `Connection` names and
 * any `x-sluice-*` (sluice adds its own); a 101 carries no `content-length` either.
 */
function headLines(status: number, reason: string, raw: Dispatcher.DispatchController['rawHeaders'], keepLength: boolean): string {
  let out = `HTTP/1.1 ${status} ${reason}\r\n`
  if (!Array.isArray(raw)) return out
  const pairs = raw as ReadonlyArray<Buffer | string>
  let named: string[] | undefined
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    if (pairs[i]!.toString('latin1').toLowerCase() === 'connection') named = connectionTokens(pairs[i + 1]!.toString('latin1'), named)
  }
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const name = pairs[i]!.toString('latin1')
    const lower = name.toLowerCase()
    if (isConnectionScoped(lower, named) || (lower === 'content-length' && !keepLength)) continue
    out += `${name}: ${pairs[i + 1]!.toString('latin1')}\r\n`
  }
  return out
}

function setIdle(socket: Duplex, ms: number): void {
  const s = socket as Partial<Socket>
  if (typeof s.setTimeout !== 'function') return
  s.setTimeout(ms)
  if (socket.listenerCount('timeout') === 0) socket.on('timeout', destroyOnIdle)
}

function destroyOnIdle(this: Duplex): void {
  this.destroy()
}

function ignoreError(): void {
  // 'close' follows every socket error; the tunnel finishes there.
}

function resumeController(this: Dispatcher.DispatchController): void {
  this.resume()
}
