import { decide } from '../../../core/decide.js'
import type { ProxyContext } from '../context.js'
import type { PassResult } from '../pipeline.js'

/** old or new, by the route's current view (core/decide.ts holds the whole rule). */
export function decideSide(ctx: ProxyContext): PassResult {
  ctx.decision = decide(ctx.route!.view, ctx.key, undefined, ctx.plane.random, ctx)
  return 'next'
}
