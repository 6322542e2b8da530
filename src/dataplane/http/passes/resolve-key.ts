import { randomId } from '../../../util/random.js'
import type { ProxyContext } from '../context.js'
import { keyOf } from '../decision.js'
import type { PassResult } from '../pipeline.js'
import { setCookieValue } from '../set-cookie.js'


/**
 * The bucketing key: the first present sticky source. An anonymous client of a route with
 * `assignCookie` gets a fresh random id, used as its key right away and set as a cookie on the
 * response, so its next requests carry the same key and land on the same side.
 */
export function resolveKey(ctx: ProxyContext): PassResult {
  const route = ctx.route!
  ctx.key = keyOf(route, ctx)
  if (ctx.key === undefined && route.assignCookie !== undefined) {
    const id = randomId()
    ctx.key = id
    ctx.setCookie = setCookieValue(route.assignCookie, id)
  }
  return 'next'
}
