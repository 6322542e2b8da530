import type { IncomingMessage } from 'node:http'
import type { Dispatcher } from 'undici'
import type { Side } from '../../../config/types.js'
import { ProxyContext, type PlaneState } from '../context.js'
import { respondUpstreamError } from './answer.js'
import { dispatchTo } from './dispatch.js'
import { mapUpstreamError, tlsProblem } from './error-map.js'
import { canFallBack } from './fallback.js'
import type { LazyBody } from './lazy-body.js'
import { pickShadow } from '../shadow/select.js'
import type { ShadowLeg } from '../shadow/leg.js'
import { relayData, relayEnd, relayHead, startUpstream } from './relay.js'
import type { HttpLegState, ProxyResponse } from './state.js'

/**
 * A plain HTTP request with its upstream leg: the context the passes fill in, and the undici
 * handler for the one upstream attempt (and the one fallback, if any). One object per request.
 *
 * Every undici callback is guarded: an exception thrown inside one would surface in undici's socket
 * handlers, outside any request, and end the process. A request can fail; the process must not.
 */
export class HttpLeg extends ProxyContext implements HttpLegState, Dispatcher.DispatchHandler {
  lazyBody: LazyBody | undefined = undefined
  controller: Dispatcher.DispatchController | undefined = undefined
  drainHooked = false
  cutBySluice = false
  shadowLeg: ShadowLeg | undefined = undefined

  constructor(plane: PlaneState, req: IncomingMessage, readonly res: ProxyResponse) {
    super(plane, req, req.socket)
  }

  forward(side: Side): void {
    // Shadow traffic: one field read on every other request. Not after a fallback: new just failed.
    const shadow = side === 'old' && !this.fellBack ? this.route!.shadow : undefined
    if (shadow !== undefined) this.shadowLeg = pickShadow(this, shadow)
    dispatchTo(this, side, this)
    this.shadowLeg?.started(this.hasBody)
  }

  answer(status: number, body: string, close: boolean): void {
    const res = this.res
    if (res.headersSent || this.isClientGone()) return void res.destroy()
    const headers = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body))]
    if (this.requestId !== undefined) headers.push('x-request-id', this.requestId)
    if (close || this.plane.draining) headers.push('connection', 'close')
    else if (this.hasBody && !this.req.complete) this.#dropRestOfBody()
    res.writeHead(status, headers)
    res.end(body)
  }

  /**
   * The client is still sending a body nobody will read: read it and drop it, so the client can
   * finish and read the answer (closing at once would hit it with EPIPE/RST and lose the answer),
   * and the connection stays usable. Bounded: a client still sending after DROP_BODY_MS is cut off.
   */
  #dropRestOfBody(): void {
    this.lazyBody?.release()
    const req = this.req
    req.resume()
    const timer = setTimeout(cutIfUnfinished, DROP_BODY_MS, req, this.socket)
    timer.unref()
    req.once('end', () => clearTimeout(timer))
  }

  cutOff(): void {
    this.cutBySluice = true
    this.res.destroy()
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    try {
      startUpstream(this, controller)
    } catch (err) {
      this.#bug(err)
    }
  }

  onResponseStart(
    controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>,
  ): void {
    try {
      relayHead(this, controller, status, headers)
    } catch (err) {
      this.#bug(err)
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    try {
      relayData(this, controller, chunk)
    } catch (err) {
      this.#bug(err)
    }
  }

  onResponseEnd(): void {
    try {
      relayEnd(this)
    } catch (err) {
      this.#bug(err)
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err)
  }

  /** The upstream attempt failed (undici's error callback, or a dispatch that threw). */
  fail(err: Error): void {
    try {
      this.#failed(err)
    } catch (bug) {
      this.#bug(bug)
    }
  }

  /**
   * A failed upstream attempt: ignored when the client left (our own abort), retried on old when
   * the fallback rule allows, otherwise a 502/504 JSON answer, or a cut-off response when its head
   * is already out (the client sees a truncated response, never a 502 glued to a 200).
   */
  #failed(err: Error): void {
    if (this.isClientGone()) return
    const failure = mapUpstreamError(err)
    // The outcome's error is about the decided side; a failing fallback does not overwrite it.
    if (!this.fellBack) this.error = failure.reason
    if (failure.reason === 'tls') {
      // A certificate or handshake problem is a configuration fault the operator must see and can fix.
      this.plane.logger.warn({ route: this.route?.name, side: this.servedBy, reason: 'tls', problem: tlsProblem(err) }, `upstream TLS failed: ${tlsProblem(err)}`)
    } else {
      this.plane.logger.debug({ err, route: this.route?.name, side: this.servedBy, reason: failure.reason }, 'upstream failed')
    }
    if (canFallBack(this, failure)) {
      this.fellBack = true
      // On the next tick: outside undici's error callback for the failed attempt.
      return void process.nextTick(retryOnOld, this)
    }
    if (this.res.headersSent) return this.cutOff()
    respondUpstreamError(this, failure)
  }

  /** A bug in sluice's own handling: this request is cut off, and the process keeps serving. */
  #bug(err: unknown): void {
    this.plane.logger.error({ err, route: this.route?.name }, 'upstream leg failed')
    this.cutOff()
  }
}

/** How long sluice reads and drops the rest of a body after answering an error (nginx lingers 30 s). */
const DROP_BODY_MS = 10_000

function cutIfUnfinished(req: IncomingMessage, socket: { destroy(): void }): void {
  if (!req.complete) socket.destroy()
}

function retryOnOld(leg: HttpLeg): void {
  if (leg.isClientGone()) return
  try {
    leg.forward('old')
  } catch (err) {
    leg.fail(err as Error)
  }
}
