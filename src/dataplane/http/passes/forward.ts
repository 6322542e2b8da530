import type { ProxyContext } from '../context.js'
import type { PassResult } from '../pipeline.js'

/** Sends the request to the decided side; the context's upstream leg takes it from there. */
export function forward(ctx: ProxyContext): PassResult {
  ctx.forward(ctx.decision!.side)
  return 'done'
}
