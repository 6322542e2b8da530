import type { ProxyContext } from './context.js'
import { pathOf } from './passes/match-route.js'
import { abortUpstream } from './upstream-leg/relay.js'
import type { ProxyResponse } from './upstream-leg/state.js'

/**
 * The response's 'close' listener, shared by every request (it reads its context from the response):
 * stops the upstream leg if the response did not finish (a client abort, detected by 'close' without
 * `writableFinished`, never by the unreliable 'aborted'; unless sluice cut the response off itself),
 * then publishes the one Outcome.
 */
export function onResponseClose(this: ProxyResponse): void {
  const ctx = this.ctx
  if (ctx === undefined) return
  this.ctx = undefined
  if (!this.writableFinished && !ctx.cutBySluice) abortUpstream(ctx)
  const durationMs = performance.now() - ctx.startedAt
  const status = this.headersSent ? this.statusCode : 0
  publishOutcome(ctx, status, durationMs)
  if (ctx.plane.access.enabled) accessLog(ctx, status, durationMs)
  ctx.plane.requestDone()
}

/**
 * The one Outcome of a decided request (plain or WebSocket), published even when the client left
 * first (`clientGone`, status 0 unless a head went out). Requests that never reached a decision
 * (framing errors, no route) concern no route: no outcome.
 */
export function publishOutcome(ctx: ProxyContext, status: number, durationMs: number): void {
  const route = ctx.route
  const decision = ctx.decision
  if (route === undefined || decision === undefined) return
  ctx.plane.bus.publish({
    kind: 'route',
    name: route.name,
    side: decision.side,
    reason: decision.reason,
    servedBy: ctx.servedBy ?? decision.side,
    status,
    error: ctx.error,
    fellBack: ctx.fellBack,
    durationMs,
    clientGone: ctx.clientGone,
  })
}

function accessLog(ctx: ProxyContext, status: number, durationMs: number): void {
  const sample = ctx.plane.access.sample
  if (sample < 1 && ctx.plane.random() >= sample) return
  ctx.plane.logger.info({
    method: ctx.req.method, path: pathOf(ctx.url), status,
    durationMs: Math.round(durationMs * 1000) / 1000, route: ctx.route?.name, side: ctx.decision?.side,
    servedBy: ctx.servedBy, error: ctx.error, fellBack: ctx.fellBack || undefined,
  }, 'request')
}
