import type { ProxyContext } from '../context.js'
import type { UpstreamFailure } from '../error-map.js'
import { dispatchTo } from './forward.js'

/**
 * PRODUCT.md: "if the new side refuses the connection, the request is retried once on old when that
 * is safe (idempotent method, or no body byte sent yet)". A connect failure means nothing reached
 * new; a bodyless request can always be re-sent, and a request with a body only while its LazyBody
 * is unread. (An idempotent request whose body was partly read cannot be replayed: sluice never
 * buffers bodies, so "no body byte sent yet" is the binding condition.) NGINX `request_sent`, HAProxy
 * `conn-failure` and Envoy `connect-failure` draw the same line.
 */
export function canFallBack(ctx: ProxyContext, failure: UpstreamFailure): boolean {
  if (failure.reason !== 'connect' || ctx.servedBy !== 'new' || ctx.fellBack) return false
  if (ctx.res.headersSent || ctx.isClientGone()) return false
  return !ctx.hasBody || ctx.lazyBody?.started === false
}

/**
 * Retries on old on the next tick, outside undici's error callback for the failed attempt.
 * The outcome keeps `error: 'connect'` against new, and says `fellBack`.
 */
export function fallBackToOld(ctx: ProxyContext): void {
  ctx.fellBack = true
  process.nextTick(retryOnOld, ctx)
}

function retryOnOld(ctx: ProxyContext): void {
  if (ctx.isClientGone()) return
  dispatchTo(ctx, 'old')
}
