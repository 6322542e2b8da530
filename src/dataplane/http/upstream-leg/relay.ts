import type { Dispatcher } from 'undici'
import { SluiceError } from '../../../util/errors.js'
import { connectionTokens, isConnectionScoped } from '../hop-by-hop.js'
import type { HttpLegState, ProxyResponse } from './state.js'

/**
 * The upstream response, relayed to the client as it arrives: undici's handler callbacks, written
 * straight to `res`, with back-pressure (a full `res` pauses undici; 'drain' resumes it).
 */

/** The abort reason when the client went away; shared, it carries no per-request data. */
const CLIENT_GONE = new Error('the client closed the connection')

export function startUpstream(ctx: HttpLegState, controller: Dispatcher.DispatchController): void {
  ctx.controller = controller
  // The client may have left while the request waited for a connection.
  if (ctx.clientGone) controller.abort(CLIENT_GONE)
}

/** Called from the response's 'close': stops the upstream leg when the response did not finish. */
export function abortUpstream(ctx: HttpLegState): void {
  ctx.clientGone = true
  ctx.controller?.abort(CLIENT_GONE)
}

export function relayHead(
  ctx: HttpLegState, controller: Dispatcher.DispatchController, status: number,
  headers: Record<string, string | string[] | undefined>,
): void {
  if (status < 200) return // interim answers (103 …) are not relayed
  const out = responseHeaders(headers)
  if (ctx.route!.exposeBackendHeader) out.push('x-sluice-backend', ctx.servedBy ?? 'old')
  if (ctx.setCookie !== undefined) out.push('set-cookie', ctx.setCookie)
  // Drain, or a request body the backend did not wait for: end the connection.
  if (ctx.plane.draining || (ctx.hasBody && !ctx.req.complete)) out.push('connection', 'close')
  if (ctx.shadowLeg !== undefined) ctx.shadowLeg.oldHead(status, headers)
  try {
    ctx.res.writeHead(status, out)
  } catch (err) {
    // Node refuses a header value llhttp let through: the backend's response is not valid HTTP.
    controller.abort(new SluiceError('SLUICE_ERR_UPSTREAM_PROTOCOL', 'the backend sent a header Node refuses', { cause: err }))
  }
}

export function relayData(ctx: HttpLegState, controller: Dispatcher.DispatchController, chunk: Buffer): void {
  if (ctx.clientGone) return
  if (ctx.shadowLeg !== undefined) ctx.shadowLeg.oldData(chunk)
  if (ctx.res.write(chunk)) return
  controller.pause()
  if (!ctx.drainHooked) {
    ctx.drainHooked = true
    ctx.res.on('drain', resumeUpstream)
  }
}

export function relayEnd(ctx: HttpLegState): void {
  if (ctx.shadowLeg !== undefined) ctx.shadowLeg.oldEnd()
  ctx.res.end()
}

function resumeUpstream(this: ProxyResponse): void {
  this.ctx?.controller?.resume()
}

/** The backend's headers minus hop-by-hop, Connection-named and `x-sluice-*` ones; duplicates kept as arrays. */
function responseHeaders(headers: Record<string, string | string[] | undefined>): (string | string[])[] {
  const conn = headers.connection
  const named = typeof conn === 'string' ? connectionTokens(conn, undefined) : undefined
  const out: (string | string[])[] = []
  for (const name in headers) {
    const value = headers[name]
    // undici lower-cases names, so they compare directly.
    if (value === undefined || isConnectionScoped(name, named)) continue
    out.push(name, value)
  }
  return out
}
