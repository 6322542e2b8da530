import type { ProxyContext } from '../context.js'
import type { PassResult } from '../pipeline.js'
import { findRoute } from '../route-table.js'
import { respondError } from '../upstream-leg/answer.js'

/** Host + path prefix → the first matching route; 404 JSON when none does. */
export function matchRoute(ctx: ProxyContext): PassResult {
  const host = ctx.req.headers.host
  const route = findRoute(ctx.plane.table, host, ctx.url)
  if (route !== undefined) {
    ctx.route = route
    return 'next'
  }
  respondError(ctx, 'SLUICE_ERR_NO_ROUTE', `no route matches host '${host ?? ''}' path '${pathOf(ctx.url)}'`, false)
  return 'done'
}

/** The path without the query: error messages and logs never echo query strings (they may hold secrets). */
export function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}
