import type { Side } from '../config/types.js'
import { hashKey } from './bucket.js'
import type { Decision, DecisionReason, KeyReader, OptChoice, TargetView } from './types.js'

/** Shared, frozen decisions: the hot path returns these instead of allocating one per request. */
function frozen(side: Side, reason: DecisionReason): Decision {
  return Object.freeze({ side, reason })
}

export const DECISIONS = {
  optOut: frozen('old', 'opt-out'),
  optIn: frozen('new', 'opt-in'),
  bucketNew: frozen('new', 'bucket'),
  bucketOld: frozen('old', 'bucket'),
  randomNew: frozen('new', 'random'),
  randomOld: frozen('old', 'random'),
} as const

export function groupDecision(side: Side, group: string): Decision {
  return Object.freeze({ side, reason: 'group', group })
}

/**
 * The decision order of the README (How a request is routed): opt-out → old, opt-in → new, a group
 * holding the key → its side (groups in config order), hash(NAME:KEY) below the percent's threshold
 * → new, else old.
 * With no key at all the request is placed at random with the same share. Pure: `rand` is only
 * called when there is no key, `reader` only for groups that have their own key source.
 */
export function decide(
  view: TargetView,
  key: string | undefined,
  opt: OptChoice,
  rand: () => number,
  reader?: KeyReader,
): Decision {
  if (opt !== undefined && view.optIn) return opt === 'out' ? DECISIONS.optOut : DECISIONS.optIn
  const groups = view.groups
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!
    const value = g.source === undefined ? key : reader?.read(g.source)
    const hit = value === undefined ? undefined : g.members.get(value)
    if (hit !== undefined) return hit
  }
  if (key === undefined) {
    return rand() * 10_000 < view.percentBp ? DECISIONS.randomNew : DECISIONS.randomOld
  }
  return hashKey(view.hashPrefix, key) < view.threshold ? DECISIONS.bucketNew : DECISIONS.bucketOld
}
