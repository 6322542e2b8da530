import type { IncomingMessage } from 'node:http'
import type { Dispatcher } from 'undici'
import type { Side } from '../../../config/types.js'
import type { ProxyContext } from '../context.js'
import { LazyBody } from '../lazy-body.js'
import type { PassResult } from '../pipeline.js'

/** Sends the request to the decided side; the context's handler callbacks take it from there. */
export function forward(ctx: ProxyContext): PassResult {
  dispatchTo(ctx, ctx.decision!.side)
  return 'done'
}

/**
 * One upstream attempt on `side`. The body is streamed, never buffered: `req` itself for old (or a
 * fallback), a LazyBody for new so a refused connection leaves it unread for the retry on old.
 */
export function dispatchTo(ctx: ProxyContext, side: Side): void {
  const route = ctx.route!
  const req = ctx.req
  ctx.servedBy = side
  let body: UndiciBody = null
  if (ctx.hasBody) {
    body = side === 'new' ? asBody(ctx.lazyBody = new LazyBody(req)) : req
    watchUploadIdle(req, route.idleMs)
  }
  route.backends[side].dispatcher.dispatch({
    method: req.method ?? 'GET',
    path: ctx.url,
    headers: ctx.upstreamHeaders ?? null,
    body,
    headersTimeout: route.headersTimeout,
    bodyTimeout: route.bodyTimeout,
  }, ctx)
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
  if (idleMs <= 0 || req.complete) return
  req.socket.setTimeout(idleMs)
  req.on('end', clearUploadIdle)
}

function clearUploadIdle(this: IncomingMessage): void {
  this.socket.setTimeout(0)
}
