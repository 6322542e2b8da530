import type { ProxyContext } from '../context.js'
import type { PassResult } from '../pipeline.js'
import { isLoop } from '../via.js'
import { respondError } from '../upstream-leg/answer.js'

/**
 * Refuses requests a proxy must not forward ambiguously (RFC 9112 §6.1).
 * Node's strict parser already answers 400 to CL+TE, duplicate Content-Length, obs-fold and the
 * like; it lets through `Transfer-Encoding: gzip, chunked` and Transfer-Encoding on HTTP/1.0, which
 * stop here, as do a second Host header (undici would refuse it) and request targets that are not
 * a path, HTTP/0.9 request lines (Node takes `GET /a` without a version, even followed by headers,
 * for HTTP/0.9), and requests that already passed through this very process (a Via loop, 508).
 * Answers carry `connection: close`: whatever follows on the socket cannot be trusted.
 * Also records whether the request has a body, which later passes need.
 */
export function checkFraming(ctx: ProxyContext): PassResult {
  const req = ctx.req
  if (req.httpVersionMajor === 0) return reject(ctx, 'HTTP/0.9 requests are refused: send HTTP/1.0 or 1.1')
  const te = req.headers['transfer-encoding']
  if (te !== undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) return reject(ctx, 'transfer-encoding is not allowed on an HTTP/1.0 request')
    if (te.trim().toLowerCase() !== 'chunked') return reject(ctx, `transfer-encoding '${te}' is refused: only 'chunked' is accepted`)
    ctx.hasBody = true
  } else {
    const cl = req.headers['content-length']
    ctx.hasBody = cl !== undefined && Number(cl) > 0
  }
  if (ctx.url.charCodeAt(0) !== 0x2f) return reject(ctx, 'the request target must be a path starting with /')
  if (hostCount(req.rawHeaders) > 1) return reject(ctx, 'more than one host header')
  if (isLoop(req.headers.via)) {
    respondError(ctx, 'SLUICE_ERR_LOOP', 'this request already went through this sluice: a route points back at sluice itself', true)
    return 'done'
  }
  return 'next'
}

function reject(ctx: ProxyContext, message: string): PassResult {
  respondError(ctx, 'SLUICE_ERR_BAD_FRAMING', message, true)
  return 'done'
}

/** Node keeps only the first Host in req.headers, so duplicates are counted on the raw list. */
function hostCount(raw: readonly string[]): number {
  let n = 0
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 4 && name.toLowerCase() === 'host') n++
  }
  return n
}
