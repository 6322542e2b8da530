import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Side } from '../../config/types.js'
import { ProxyContext, type PlaneState } from './context.js'
import { publishOutcome } from './outcome.js'
import { applyHostRule } from './passes/forward-headers.js'
import { UPGRADE_PASSES } from './passes/index.js'
import { runPasses } from './pipeline.js'
import { respondError } from './upstream-leg/answer.js'
import { isWebSocketUpgrade, tunnelWebSocket, type Tunnel, type TunnelResult } from './websocket.js'

/**
 * The server's 'upgrade' listener. Only WebSocket handshakes are tunnelled, through the same passes
 * as plain requests (framing and Via loop check, route match, key, decision, forwarded headers);
 * anything else (h2c above all) gets 400 on the raw socket, since tunnelling it would let a client
 * talk past the proxy (h2csmuggler).
 */
export function handleUpgrade(
  plane: PlaneState, tunnels: Set<Tunnel>, req: IncomingMessage, socket: Duplex, head: Buffer,
): void {
  socket.on('error', ignoreError)
  const ctx = new UpgradeRequest(plane, tunnels, req, socket, head)
  if (!isWebSocketUpgrade(req)) return respondError(ctx, 'SLUICE_ERR_BAD_REQUEST', 'only websocket upgrades are proxied', true)
  runPasses(ctx, UPGRADE_PASSES)
}

/**
 * A WebSocket handshake: answers go out as raw bytes on the client socket, and the upstream leg is
 * a tunnel (websocket.ts) with the same new → old fallback on a refused connection as plain requests.
 * Upgrades are once per session, so the per-call closures here are off the hot path.
 */
class UpgradeRequest extends ProxyContext {
  #tunnel: Tunnel | undefined
  #done = false

  constructor(
    plane: PlaneState, readonly tunnels: Set<Tunnel>, req: IncomingMessage, socket: Duplex, readonly head: Buffer,
  ) {
    super(plane, req, socket)
  }

  /** A complete HTTP answer written on the raw socket, which is then closed (whatever `close` says). */
  answer(status: number, body: string): void {
    const socket = this.socket
    if (!socket.writable) return void socket.destroy()
    const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${this.requestId === undefined ? '' : `x-request-id: ${this.requestId}\r\n`}connection: close\r\n\r\n`
    socket.end(head + body, () => socket.destroy())
  }

  cutOff(): void {
    this.socket.destroy()
  }

  forward(side: Side): void {
    const route = this.route!
    this.servedBy = side
    const backendHeader = route.exposeBackendHeader ? side : undefined
    const tunnel = tunnelWebSocket({
      req: this.req, socket: this.socket, head: this.head, path: this.url,
      dispatcher: route.backends[side].dispatcher,
      headers: this.#headersFor(side),
      idleMs: route.idleMs,
      headersTimeout: route.headersTimeout,
      backendHeader,
      fallback: side === 'new' ? { dispatcher: route.backends.old.dispatcher, headers: this.#headersFor('old'), backendHeader: route.exposeBackendHeader ? 'old' : undefined } : undefined,
      setCookie: this.setCookie,
      onBug: (err) => this.plane.logger.error({ err, route: route.name }, 'websocket tunnel failed'),
      onDone: (r) => this.#finished(r),
    })
    // onDone may already have run (the client vanished during the call): then there is nothing to track.
    if (this.#done) return
    this.#tunnel = tunnel
    this.tunnels.add(tunnel)
  }

  /** The upstream headers with `side`'s Host rule applied; a copy (once per handshake, off the hot path). */
  #headersFor(side: Side): string[] {
    const headers = [...this.upstreamHeaders!]
    applyHostRule(headers, this.route!.backends[side].host, this.req.headers.host)
    return headers
  }

  #finished(r: TunnelResult): void {
    this.#done = true
    if (this.#tunnel !== undefined) this.tunnels.delete(this.#tunnel)
    if (r.fellBack) this.servedBy = 'old'
    this.fellBack = r.fellBack
    this.error = r.error
    this.clientGone = r.status === 0
    publishOutcome(this, r.status, r.durationMs)
  }
}

function ignoreError(): void {
  // A reset client socket: 'close' follows, and the tunnel (if any) cleans up there.
}
