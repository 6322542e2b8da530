import { ServerResponse, type IncomingMessage } from 'node:http'
import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import type { KeySource, Side } from '../../config/types.js'
import { normalizeIp, readSource, type KeyInput } from '../../core/sticky.js'
import type { Decision, KeyReader } from '../../core/types.js'
import type { OutcomeBus, UpstreamErrorReason } from '../../observe/events.js'
import type { Random } from '../../util/random.js'
import type { LazyBody } from './lazy-body.js'
import { relayData, relayEnd, relayError, relayHead, startUpstream } from './relay.js'
import type { CompiledRoute, RouteTable } from './route-table.js'

/** What every request of one data plane shares: read by the passes, swapped whole by setRoutes. */
export interface PlaneState {
  table: RouteTable
  /** Set by startDrain/close: every response from now on carries `connection: close`. */
  draining: boolean
  readonly random: Random
  readonly bus: OutcomeBus
  readonly logger: Logger
  readonly access: { readonly enabled: boolean; readonly sample: number }
  /** Called once per request, when its response closed. */
  requestDone(): void
}

/** The server's response class: it carries its request's context, so shared listeners need no closure. */
export class ProxyResponse extends ServerResponse {
  ctx: ProxyContext | undefined = undefined
}

/**
 * Everything sluice knows about one client request, from the first pass to the outcome. It is also
 * the undici handler for the upstream leg (and for the one fallback, if any): one object per request,
 * with the handler callbacks delegated to relay.ts.
 * Implements KeyInput/KeyReader so the core reads keys straight from the request, without a copy.
 */
export class ProxyContext implements KeyInput, KeyReader, Dispatcher.DispatchHandler {
  readonly startedAt = performance.now()
  route: CompiledRoute | undefined = undefined
  key: string | undefined = undefined
  decision: Decision | undefined = undefined
  /** Set-Cookie value for a freshly assigned id, added to the response. */
  setCookie: string | undefined = undefined
  /** Flat [name, value, …] for the upstream request, built by forward-headers. */
  upstreamHeaders: string[] | undefined = undefined
  /** The request has a body (content-length > 0 or chunked). */
  hasBody = false
  /** Present only on requests sent to new with a body: tells whether undici started reading it. */
  lazyBody: LazyBody | undefined = undefined
  servedBy: Side | undefined = undefined
  error: UpstreamErrorReason | undefined = undefined
  fellBack = false
  controller: Dispatcher.DispatchController | undefined = undefined
  /** The client's response closed before it finished: the upstream leg must stop. */
  clientGone = false
  drainHooked = false

  constructor(readonly plane: PlaneState, readonly req: IncomingMessage, readonly res: ProxyResponse) {}

  get headers(): IncomingMessage['headers'] {
    return this.req.headers
  }

  get url(): string {
    return this.req.url ?? '/'
  }

  get ip(): string | undefined {
    return normalizeIp(this.req.socket.remoteAddress)
  }

  read(source: KeySource): string | undefined {
    return readSource(source, this)
  }

  /** True once the client cannot receive anything more (its socket is gone or it closed early). */
  isClientGone(): boolean {
    return this.clientGone || this.req.socket.destroyed
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    startUpstream(this, controller)
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    relayHead(this, controller, status, headers)
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    relayData(this, controller, chunk)
  }

  onResponseEnd(): void {
    relayEnd(this)
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    relayError(this, err)
  }
}
