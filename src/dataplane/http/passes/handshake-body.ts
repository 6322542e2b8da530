import type { ProxyContext } from '../context.js'
import type { PassResult } from '../pipeline.js'
import { respondError } from '../upstream-leg/answer.js'

/** A WebSocket handshake is a GET without a body (RFC 6455 §4.1): one that claims a body is refused. */
export function refuseHandshakeBody(ctx: ProxyContext): PassResult {
  if (!ctx.hasBody) return 'next'
  respondError(ctx, 'SLUICE_ERR_BAD_FRAMING', 'a websocket handshake has no body', true)
  return 'done'
}
