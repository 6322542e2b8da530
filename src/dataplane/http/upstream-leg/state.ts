import { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { ProxyContext } from '../context.js'
import type { OldAnswerTap } from '../shadow/taps.js'
import type { LazyBody } from './lazy-body.js'

/**
 * A plain HTTP request's context as the upstream leg sees it: the client's response, and the one
 * upstream attempt in flight (or the fallback's). Implemented by HttpLeg (leg.ts); the relay, the
 * fallback rule and the outcome read it through this interface, so none of them imports the leg.
 */
export interface HttpLegState extends ProxyContext {
  readonly res: ProxyResponse
  /** The body of the current upstream attempt (requests with a body): tells whether undici started reading it. */
  lazyBody: LazyBody | undefined
  controller: Dispatcher.DispatchController | undefined
  drainHooked: boolean
  /** sluice cut the response off itself (the backend failed after the head went out): not a client abort. */
  cutBySluice: boolean
  /** This request's shadow call (README "Shadow traffic"), teeing old's answer; undefined for almost every request. */
  shadowLeg: OldAnswerTap | undefined
}

/** The server's response class: it carries its request's context, so shared listeners need no closure. */
export class ProxyResponse extends ServerResponse {
  ctx: HttpLegState | undefined = undefined
}
