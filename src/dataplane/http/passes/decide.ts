import type { ProxyContext } from '../context.js'
import { decideFor } from '../decision.js'
import type { PassResult } from '../pipeline.js'

/** old or new, by the route's current view and the caller's opt-in/out cookie: the shared decision (decision.ts). */
export function decideSide(ctx: ProxyContext): PassResult {
  ctx.decision = decideFor(ctx.route!, ctx.key, ctx, ctx.plane.random)
  return 'next'
}
