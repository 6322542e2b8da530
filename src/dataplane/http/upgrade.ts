import { STATUS_CODES, type IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { decide } from '../../core/decide.js'
import { normalizeIp, readKey, readSource, type KeyInput } from '../../core/sticky.js'
import type { KeyReader } from '../../core/types.js'
import { ErrorCodes, type ErrorCode } from '../../errors.js'
import type { PlaneState } from './context.js'
import { buildUpstreamHeaders } from './passes/forward-headers.js'
import { pathOf } from './passes/match-route.js'
import { errorBody } from './passes/respond-error.js'
import { findRoute } from './route-table.js'
import { isWebSocketUpgrade, tunnelWebSocket, type Tunnel, type TunnelResult } from './websocket.js'
import { optChoice } from './opt-cookie.js'

/**
 * The server's 'upgrade' listener. Only WebSocket handshakes are tunnelled, with the same route match
 * and decision as plain requests; anything else (h2c above all) gets 400 on the raw socket, since
 * tunnelling it would let a client talk past the proxy (NOTES-proxies §5.11, h2csmuggler).
 * Upgrades are once per session, so the per-call closures here are off the hot path.
 */
export function handleUpgrade(plane: PlaneState, tunnels: Set<Tunnel>, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', ignoreError)
  if (!isWebSocketUpgrade(req)) return rejectRaw(socket, 'SLUICE_ERR_BAD_REQUEST', 'only websocket upgrades are proxied')
  if (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0) {
    return rejectRaw(socket, 'SLUICE_ERR_BAD_FRAMING', 'a websocket handshake has no body')
  }
  const url = req.url ?? '/'
  const route = findRoute(plane.table, req.headers.host, url)
  if (route === undefined) {
    return rejectRaw(socket, 'SLUICE_ERR_NO_ROUTE', `no route matches host '${req.headers.host ?? ''}' path '${pathOf(url)}'`)
  }
  const input = keyInput(req)
  const decision = decide(route.view, readKey(route.keySources, input), optChoice(route, req.headers.cookie), plane.random, readerOf(input))
  let done = false
  let tunnel: Tunnel | undefined
  const onDone = (r: TunnelResult): void => {
    done = true
    if (tunnel !== undefined) tunnels.delete(tunnel)
    plane.bus.publish({
      kind: 'route', name: route.name, side: decision.side, reason: decision.reason, servedBy: decision.side,
      status: r.status, error: r.error, fellBack: false, durationMs: r.durationMs,
    })
  }
  tunnel = tunnelWebSocket({
    req, socket, head, onDone, path: url,
    dispatcher: route.backends[decision.side].dispatcher,
    headers: buildUpstreamHeaders(req.rawHeaders, input.ip),
    idleMs: route.idleMs,
    backendHeader: route.exposeBackendHeader ? decision.side : undefined,
  })
  // onDone may already have run (the client vanished during the call): then there is nothing to track.
  if (!done) tunnels.add(tunnel)
}

function keyInput(req: IncomingMessage): KeyInput {
  return { headers: req.headers, url: req.url ?? '/', ip: normalizeIp(req.socket.remoteAddress) }
}

function readerOf(input: KeyInput): KeyReader {
  return { read: (source) => readSource(source, input) }
}

/** A complete HTTP answer written on the raw socket, which is then closed. */
function rejectRaw(socket: Duplex, code: ErrorCode, message: string): void {
  const status = ErrorCodes[code].status
  const body = errorBody(code, message)
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`
  if (!socket.writable) return void socket.destroy()
  socket.end(head + body, () => socket.destroy())
}

function ignoreError(): void {
  // A reset client socket: 'close' follows, and the tunnel (if any) cleans up there.
}
