import type { KeySource } from '../../config/types.js'
import { decide } from '../../core/decide.js'
import type { Decision, KeyReader, OptChoice, TargetView } from '../../core/types.js'
import type { Random } from '../../util/random.js'
import type { OptRoute } from './opt-cookie.js'

/**
 * The one decision of a route for a caller, shared by every door that asks "which side does this
 * caller get": the request passes (plain HTTP and WebSocket handshakes), the `/_sluice/` endpoints
 * (whoami, goal) and the admin plane's OpenFeature evaluation (README "Feature flags (OpenFeature)").
 * Each door only says how it reads its caller; the rule itself is core/decide.ts.
 */

/** What a decision reads of a route: its live view, its sticky sources and its opt cookie. */
export interface DecidingRoute extends OptRoute {
  readonly view: TargetView
  /** The sticky sources in order; the first one the caller carries is its key. */
  readonly keySources: readonly KeySource[]
}

/**
 * The caller as a decision sees it: any key source (for the sticky key and groups' own keys) and its
 * own opt-in/out.
 */
export interface Caller extends KeyReader {
  /** The caller's own choice for `route` (a request reads the route's opt cookie). */
  optFor(route: OptRoute): OptChoice
}

/** The caller's sticky key for `route`: the first of the route's sources it carries. */
export function keyOf(route: DecidingRoute, caller: KeyReader): string | undefined {
  const sources = route.keySources
  for (let i = 0; i < sources.length; i++) {
    const v = caller.read(sources[i]!)
    if (v !== undefined) return v
  }
  return undefined
}

/**
 * The side `caller` gets on `route` now. `key` is passed in rather than read here because the
 * proxy may have just assigned one (a fresh id cookie); everyone else passes keyOf(route, caller).
 * Allocation-free: the decisions are core/decide.ts's shared frozen objects.
 */
export function decideFor(route: DecidingRoute, key: string | undefined, caller: Caller, random: Random): Decision {
  return decide(route.view, key, caller.optFor(route), random, caller)
}

/**
 * Why, as `/_sluice/whoami` and OpenFeature's metadata say it: `group:NAME`, `opt-in`, `opt-out`,
 * `bucket`, `random`.
 */
export function reasonLabel(d: Decision): string {
  return d.reason === 'group' ? `group:${d.group ?? ''}` : d.reason
}
