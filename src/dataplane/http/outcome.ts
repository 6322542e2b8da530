import type { Socket } from 'node:net'
import { hashKey } from '../../core/bucket.js'
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
  if (ctx.shadowLeg !== undefined) ctx.shadowLeg.oldClosed()
  const durationMs = performance.now() - ctx.startedAt
  const status = this.headersSent ? this.statusCode : 0
  publishOutcome(ctx, status, durationMs)
  if (ctx.plane.access.enabled) accessLog(ctx, status, durationMs)
  ctx.plane.requestDone()
}

/** Per connection, the responses queued behind an unfinished one (pipelining) that have no socket yet. */
const queued = new WeakMap<Socket, Set<ProxyResponse>>()

/**
 * A response queued behind an earlier one on a pipelined connection has no socket yet, and if the
 * connection dies before its turn Node destroys its request but never emits the response's 'close':
 * its upstream leg would run on, its outcome never be published, and the in-flight count never drop
 * (close() would then wait for its whole deadline). So the connection's 'close' closes it, until the
 * response gets its socket and with it its own 'close'. One listener per connection, none per request.
 */
export function watchQueuedResponse(socket: Socket, res: ProxyResponse): void {
  let waiting = queued.get(socket)
  if (waiting === undefined) {
    waiting = new Set()
    queued.set(socket, waiting)
    socket.once('close', closeQueued)
  }
  waiting.add(res)
  res.once('socket', leaveQueue)
}

function closeQueued(this: Socket): void {
  const waiting = queued.get(this)
  queued.delete(this)
  if (waiting !== undefined) for (const res of waiting) onResponseClose.call(res)
}

function leaveQueue(this: ProxyResponse, socket: Socket): void {
  queued.get(socket)?.delete(this)
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
    keyHash: route.hasGoals && ctx.key !== undefined ? hashKey(route.view.hashPrefix, ctx.key) : undefined,
  })
}

function accessLog(ctx: ProxyContext, status: number, durationMs: number): void {
  const sample = ctx.plane.access.sample
  if (sample < 1 && ctx.plane.random() >= sample) return
  ctx.plane.logger.info({
    requestId: ctx.requestId, method: ctx.req.method, path: pathOf(ctx.url), status,
    durationMs: Math.round(durationMs * 1000) / 1000, route: ctx.route?.name, side: ctx.decision?.side,
    servedBy: ctx.servedBy, error: ctx.error, fellBack: ctx.fellBack || undefined,
  }, 'request')
}
