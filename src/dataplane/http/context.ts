import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import type { KeySource, Side } from '../../config/types.js'
import { normalizeIp, readSource, type KeyInput } from '../../core/sticky.js'
import type { Decision, OptChoice } from '../../core/types.js'
import type { OutcomeBus, UpstreamErrorReason } from '../../observe/events.js'
import type { GoalCounter } from '../../observe/goals.js'
import type { Random } from '../../util/random.js'
import type { Caller } from './decision.js'
import { optChoice, type OptRoute } from './opt-cookie.js'
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
  /** Where `/_sluice/goal` events are counted; undefined when nothing counts goals (that endpoint then 404s). */
  readonly goals: GoalCounter | undefined
  /** Called once per request, when its response closed. */
  requestDone(): void
}

/**
 * Everything sluice knows about one client request, from the first pass to the outcome: what the
 * passes read and write. Plain requests (upstream-leg/leg.ts) and WebSocket handshakes (upgrade.ts)
 * extend it with their own way of answering and of reaching the backend, so both run the very same
 * passes (route match, key, decision, loop check) and the decision is spelled once.
 * Implements KeyInput and Caller (decision.ts) so the decision reads keys and the opt cookie straight
 * from the request, without a copy.
 */
export abstract class ProxyContext implements KeyInput, Caller {
  readonly startedAt = performance.now()
  /**
   * The client's socket, kept from the start: Node and undici detach `req.socket` (it becomes null)
   * once the request was handed on, and reading through it then threw inside undici's error
   * callback, which ended the process.
   */
  readonly socket: Duplex & { readonly remoteAddress?: string | undefined }
  route: CompiledRoute | undefined = undefined
  key: string | undefined = undefined
  decision: Decision | undefined = undefined
  /** Set-Cookie value for a freshly assigned id, added to the response. */
  setCookie: string | undefined = undefined
  /** The client's x-request-id or the one sluice made (forward-headers): in access logs and sluice's own answers. */
  requestId: string | undefined = undefined
  /** Flat [name, value, …] for the upstream request, built by forward-headers. */
  upstreamHeaders: string[] | undefined = undefined
  /** The Host in upstreamHeaders is not the client's (a side's `host` rule changed it). */
  hostRewritten = false
  /** The request has a body (content-length > 0 or chunked). */
  hasBody = false
  servedBy: Side | undefined = undefined
  error: UpstreamErrorReason | undefined = undefined
  fellBack = false
  /** The client went away before its answer finished: the upstream leg must stop. */
  clientGone = false

  constructor(readonly plane: PlaneState, readonly req: IncomingMessage, socket: Duplex) {
    this.socket = socket
  }

  get headers(): IncomingMessage['headers'] {
    return this.req.headers
  }

  get url(): string {
    return this.req.url ?? '/'
  }

  get ip(): string | undefined {
    return normalizeIp(this.socket.remoteAddress)
  }

  read(source: KeySource): string | undefined {
    return readSource(source, this)
  }

  optFor(route: OptRoute): OptChoice {
    return optChoice(route, this.req.headers.cookie)
  }

  /** True once the client cannot receive anything more (its socket is gone or it closed early). */
  isClientGone(): boolean {
    return this.clientGone || this.socket.destroyed
  }

  /** sluice's own answer: `status` with a JSON `body`; `close` ends the client connection after it. */
  abstract answer(status: number, body: string, close: boolean): void

  /** Sends the request to `side` (the forward pass); the subclass's upstream leg takes it from there. */
  abstract forward(side: Side): void

  /** Ends the client connection without an answer: the last resort when handling the request failed. */
  abstract cutOff(): void
}
