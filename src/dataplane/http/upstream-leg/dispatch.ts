import type { IncomingMessage } from 'node:http'
import type { Dispatcher } from 'undici'
import type { Side } from '../../../config/types.js'
import { applyHostRule } from '../passes/forward-headers.js'
import { LazyBody } from './lazy-body.js'
import type { HttpLegState } from './state.js'

/**
 * One upstream attempt on `side`, with `handler` receiving undici's callbacks. The body is streamed,
 * never buffered, through a LazyBody: a refused connection leaves it unread for the retry on old,
 * and a failed attempt cannot destroy the client's request (its rest is read and dropped instead).
 */
export function dispatchTo(ctx: HttpLegState, side: Side, handler: Dispatcher.DispatchHandler): void {
  const route = ctx.route!
  const req = ctx.req
  ctx.servedBy = side
  let body: UndiciBody = null
  if (ctx.hasBody) {
    body = asBody(ctx.lazyBody = new LazyBody(req, ctx.shadowLeg))
    watchUploadIdle(req, route.idleMs)
  }
  const backend = route.backends[side]
  const headers = ctx.upstreamHeaders
  if (headers !== undefined && (backend.host.mode !== 'preserve' || ctx.hostRewritten)) {
    ctx.hostRewritten = applyHostRule(headers, backend.host, req.headers.host)
  }
  const options: Dispatcher.DispatchOptions & { servername: string | undefined } = {
    method: req.method ?? 'GET',
    path: ctx.url,
    headers: headers ?? null,
    body,
    headersTimeout: route.headersTimeout,
    bodyTimeout: route.bodyTimeout,
    // undici takes it (its types omit it): see Backend.servername.
    servername: backend.servername,
  }
  backend.dispatcher.dispatch(options, handler)
}

type UndiciBody = Exclude<Dispatcher.DispatchOptions['body'], undefined>

/**
 * undici 7 sends any AsyncIterable body (Dispatcher.md: "Iterable | AsyncIterable"); its type
 * declarations list only Readable and buffers.
 */
function asBody(body: AsyncIterable<Buffer>): UndiciBody {
  return body as unknown as UndiciBody
}

/**
 * The route's idle timeout on the client's side of an upload: a client that stops sending mid-body
 * has its socket closed (which aborts the upstream leg) instead of holding both legs forever.
 * undici's bodyTimeout covers the response direction.
 */
function watchUploadIdle(req: IncomingMessage, idleMs: number): void {
  // `socket` is null once Node detached the request from its connection (the types do not say so).
  if (idleMs <= 0 || req.complete || req.socket == null) return
  req.socket.setTimeout(idleMs)
  req.on('end', clearUploadIdle)
}

function clearUploadIdle(this: IncomingMessage): void {
  this.socket?.setTimeout(0)
}
