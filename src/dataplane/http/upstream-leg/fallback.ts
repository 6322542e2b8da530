import type { UpstreamFailure } from './error-map.js'
import type { HttpLegState } from './state.js'

/**
 * README (How a request is routed): "if the new side refuses the connection, the request is retried
 * once on old when that is safe (idempotent method, or no body byte sent yet)". A connect failure
 * means nothing reached new; a bodyless request can always be re-sent, and a request with a body
 * only while its LazyBody is unread. (An idempotent request whose body was partly read cannot be
 * replayed: sluice never buffers bodies, so "no body byte sent yet" is the binding condition.) NGINX
 * `request_sent`, HAProxy `conn-failure` and Envoy `connect-failure` draw the same line. Any other
 * failure (reset, timeout, bad response) may come after the backend acted on the request: never
 * retried.
 */
export function canFallBack(ctx: HttpLegState, failure: UpstreamFailure): boolean {
  if (!isConnectFailureOnNew(ctx, failure)) return false
  if (ctx.res.headersSent || ctx.isClientGone()) return false
  return !ctx.hasBody || ctx.lazyBody?.started === false
}

/**
 * The failures that prove nothing reached new (refused connection, refused TLS handshake), on the
 * first attempt only.
 */
export function isConnectFailureOnNew(
  ctx: { readonly servedBy: string | undefined; readonly fellBack: boolean }, failure: UpstreamFailure,
): boolean {
  return failure.nothingSent && ctx.servedBy === 'new' && !ctx.fellBack
}
