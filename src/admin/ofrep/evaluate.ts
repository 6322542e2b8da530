import type { Side } from '../../config/types.js'
import { formatKeySource } from '../../core/sticky.js'
import type { Decision } from '../../core/types.js'
import { decideFor, reasonLabel, type DecidingRoute } from '../../dataplane/http/decision.js'
import type { Random } from '../../util/random.js'
import { attributeName, type EvaluationContext } from './context.js'

/** A route seen as a flag: its name is the flag key. */
export interface FlagRoute extends DecidingRoute {
  readonly name: string
}

/**
 * OpenFeature reasons sluice answers: a group or the user's own choice, the percent split, or no split
 * at all (0 %).
 */
export type FlagReason = 'TARGETING_MATCH' | 'SPLIT' | 'DEFAULT'

/** The OFREP evaluation success shape; value true means the new side. */
export interface FlagSuccess {
  readonly key: string
  readonly value: boolean
  readonly variant: Side
  readonly reason: FlagReason
  readonly metadata: { readonly reason: string; readonly percent: number }
}

/** The OFREP evaluation failure shape (the error codes the specification lists for one flag). */
export interface FlagFailure {
  readonly key: string
  readonly errorCode: 'FLAG_NOT_FOUND' | 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL'
  readonly errorDetails: string
}

export type FlagResult = FlagSuccess | FlagFailure

export function isSuccess(r: FlagResult): r is FlagSuccess {
  return 'variant' in r
}

/**
 * The flag of `route` for `context`: the data plane's own decision (decision.ts), on the route's
 * live view. A context that would be placed at random (no key, no group or opt match) gets
 * TARGETING_KEY_MISSING instead: a random answer would differ from call to call and from the proxy.
 */
export function evaluateFlag(route: FlagRoute, context: EvaluationContext, random: Random): FlagResult {
  const problem = context.problemFor(route)
  if (problem !== undefined) return { key: route.name, errorCode: 'INVALID_CONTEXT', errorDetails: problem }
  const decision = decideFor(route, context.keyFor(route), context, random)
  if (decision.reason === 'random') return { key: route.name, errorCode: 'TARGETING_KEY_MISSING', errorDetails: missingKeyDetails(route) }
  return success(route, decision)
}

function success(route: FlagRoute, d: Decision): FlagSuccess {
  const percent = route.view.percentBp / 100
  return {
    key: route.name,
    value: d.side === 'new',
    variant: d.side,
    reason: reasonOf(d, route.view.percentBp),
    metadata: { reason: reasonLabel(d), percent },
  }
}

function reasonOf(d: Decision, percentBp: number): FlagReason {
  if (d.reason !== 'bucket') return 'TARGETING_MATCH'
  return percentBp === 0 ? 'DEFAULT' : 'SPLIT'
}

function missingKeyDetails(route: FlagRoute): string {
  const names = route.keySources.map((s) => `'${attributeName(s)}' (${formatKeySource(s)})`)
  const attrs = names.length === 0 ? '' : `, or an attribute ${names.join(' or ')}`
  return `flag '${route.name}' needs the user's sticky key: send context.targetingKey${attrs}`
}
