import { cookieValue } from '../../core/sticky.js'
import type { OptChoice } from '../../core/types.js'

/** The route-scoped cookie that holds a user's opt-in/out choice: `sluice-opt-NAME=in|out`. */
export function optCookieName(route: string): string {
  return `sluice-opt-${route}`
}

/** What optChoice reads of a compiled route (structural: route-table.ts imports this module). */
export interface OptRoute {
  readonly view: { readonly optIn: boolean }
  readonly optCookie: string
}

/** The caller's choice for this route, read only when the route allows opting in. */
export function optChoice(route: OptRoute, cookieHeader: string | string[] | undefined): OptChoice {
  if (!route.view.optIn || cookieHeader === undefined) return undefined
  const v = cookieValue(typeof cookieHeader === 'string' ? cookieHeader : cookieHeader.join('; '), route.optCookie)
  return v === 'in' ? 'in' : v === 'out' ? 'out' : undefined
}
