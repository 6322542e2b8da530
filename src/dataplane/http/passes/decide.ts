import { decide } from '../../../core/decide.js'
import type { ProxyContext } from '../context.js'
import { optChoice } from '../opt-cookie.js'
import type { PassResult } from '../pipeline.js'

/** old or new, by the route's current view and the caller's opt-in/out cookie (core/decide.ts holds the whole rule). */
export function decideSide(ctx: ProxyContext): PassResult {
  const route = ctx.route!
  ctx.decision = decide(route.view, ctx.key, optChoice(route, ctx.req.headers.cookie), ctx.plane.random, ctx)
  return 'next'
}
