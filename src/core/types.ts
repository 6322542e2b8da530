import type { KeySource, Side } from '../config/types.js'

export type { KeySource, Side } from '../config/types.js'

export type Kind = 'route' | 'queue'

export interface TargetRef {
  readonly kind: Kind
  readonly name: string
}

export type RolloutState = 'manual' | 'progressing' | 'waiting' | 'paused' | 'rolled_back' | 'completed'
export const ROLLOUT_STATES: readonly RolloutState[] = ['manual', 'progressing', 'waiting', 'paused', 'rolled_back', 'completed']

/** Why a request went where it went; the metric label set of sluice_decisions_total. */
export type DecisionReason = 'opt-out' | 'opt-in' | 'group' | 'bucket' | 'random'
export const DECISION_REASONS: readonly DecisionReason[] = ['opt-out', 'opt-in', 'group', 'bucket', 'random']

export interface Decision {
  readonly side: Side
  readonly reason: DecisionReason
  /** Set when reason is 'group'. */
  readonly group?: string
}

/** A user's own choice, from the route's opt-in cookie. */
export type OptChoice = 'in' | 'out' | undefined

/**
 * What the decision needs to know about one route or queue. Immutable; rebuilt whole by
 * state/views.ts on every change and swapped atomically, so the hot path never sees half an update.
 */
export interface TargetView extends TargetRef {
  readonly percentBp: number
  /** thresholdFor(percentBp), precomputed: a key's hash below it goes to new. */
  readonly threshold: number
  /** `NAME:`, the hash prefix, precomputed. */
  readonly hashPrefix: string
  readonly keySources: readonly KeySource[]
  /** Groups in config order; the first that holds the caller's key wins. */
  readonly groups: readonly GroupView[]
  readonly optIn: boolean
}

export interface GroupView {
  readonly name: string
  /** The group's own key source; undefined = the target's sticky key. */
  readonly source: KeySource | undefined
  /** Member id → the group's decision (shared object, so the hot path allocates nothing). */
  readonly members: ReadonlyMap<string, Decision>
}

/** Reads one key source from the request or job being decided (for groups with their own `key:`). */
export interface KeyReader {
  read(source: KeySource): string | undefined
}
