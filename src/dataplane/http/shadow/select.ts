import { hashKey } from '../../../core/bucket.js'
import { inShadowShare } from '../../../core/shadow-share.js'
import type { HttpLegState } from '../upstream-leg/state.js'
import type { CompiledShadow } from './compile.js'
import { ShadowLeg } from './leg.js'

/**
 * Whether this request, answered by old, also goes to new as a shadow call (README "Shadow
 * traffic"); the leg when it does. Only requests the split put on old by bucket (or at random, for
 * requests without a key): a user who opted out, opted in, or is pinned by a group is never
 * shadowed. Over maxConcurrent, or with a declared body over maxBodyBytes, the call is skipped
 * (counted). Called before old's attempt starts, so the leg sees the whole request body.
 */
export function pickShadow(ctx: HttpLegState, shadow: CompiledShadow): ShadowLeg | undefined {
  const decision = ctx.decision!
  if (decision.side !== 'old' || (decision.reason !== 'bucket' && decision.reason !== 'random')) return undefined
  if (!shadow.methods.has(ctx.req.method ?? 'GET')) return undefined
  const view = ctx.route!.view
  const key = ctx.key
  const picked = key === undefined
    ? ctx.plane.random() * 10_000 < shadow.percentBp
    : inShadowShare(hashKey(view.hashPrefix, key), view.threshold, shadow.percentBp)
  if (!picked) return undefined
  const stats = shadow.stats
  if (stats.inflight >= shadow.maxConcurrent || declaredLength(ctx) > shadow.maxBodyBytes) {
    stats.record('skipped')
    return undefined
  }
  return new ShadowLeg(ctx, shadow)
}

function declaredLength(ctx: HttpLegState): number {
  const cl = ctx.req.headers['content-length']
  return ctx.hasBody && cl !== undefined ? Number(cl) : 0
}
