import type { Evidence, Verdict } from '../core/analysis.js'
import type { RolloutState, TargetRef } from '../core/types.js'
import type { FleetWindows } from './fleet.js'
import type { GoalLog } from './goal-log.js'

/** Who changed live state; recorded with every history event. */
export type Actor = 'admin' | 'config' | 'schedule' | 'analysis'

/** The live (non-file) state of one route or queue. */
export interface TargetLive {
  readonly percentBp: number
  readonly state: RolloutState
  /** Index into the rollout's steps; -1 before the first step or without a rollout. */
  readonly step: number
  /** The percent the config file said when it was last applied (the reload rule compares with it). */
  readonly filePercentBp: number
  /** Epoch ms of the last change. */
  readonly updatedAt: number
  /** Epoch ms when the current rollout step began: the step interval counts from here. */
  readonly stepSince?: number
  /** Consecutive failed analysis evaluations (a pass resets it; 'inconclusive' leaves it). */
  readonly failures?: number
  /** While `waiting` under `outside: N`: the percent the ramp returns to when a window opens. */
  readonly resumeBp?: number
  /**
   * The analysis verdict of the last judged window, stamped with when it was made. Part of the live
   * state so that every replica (not only the leader that judged) shows it, and a restart keeps it.
   */
  readonly lastVerdict?: LastVerdict
  /** The analysis' accumulated evidence (core/analysis.ts): reset when a rollout (re)starts. */
  readonly evidence?: Evidence
  /** The step whose hold for lack of evidence is already in the history. */
  readonly heldStep?: number
  /** Incremented on every update: the compare-and-set token. */
  readonly version: number
}

/**
 * A verdict as stored: the analysis's Verdict plus `at` (epoch ms). Stores keep it as JSON without
 * looking inside, so fields the analysis adds to Verdict later travel to every replica unchanged.
 */
export type LastVerdict = Verdict & { readonly at: number }

/**
 * `value` as a stored verdict, or undefined when it cannot be one (a hand-edited file, a foreign
 * writer). Only what the store stamps itself (`at`) is checked: the rest belongs to the analysis.
 */
export function asLastVerdict(value: unknown): LastVerdict | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const at = (value as { at?: unknown }).at
  return typeof at === 'number' && Number.isFinite(at) ? value as LastVerdict : undefined
}

export interface HistoryEvent {
  /** Epoch ms. */
  readonly at: number
  readonly actor: Actor
  readonly reason: string | undefined
  readonly from: { readonly percentBp: number; readonly state: RolloutState }
  readonly to: { readonly percentBp: number; readonly state: RolloutState }
  /** Analysis figures, on analysis events only. */
  readonly figures?: unknown
}

/** Live edits of one group's membership, on top of the ids the config file lists. */
export interface GroupEdits {
  /** Ids added live (effective even when the file does not list them). */
  readonly added: ReadonlySet<string>
  /** Ids removed live (not members even when the file lists them). */
  readonly removed: ReadonlySet<string>
}

/** Everything the store holds, keyed by `kind/name` (see refKey). */
export interface LiveSnapshot {
  readonly targets: ReadonlyMap<string, TargetLive>
  /** refKey → group name → live edits. */
  readonly members: ReadonlyMap<string, ReadonlyMap<string, GroupEdits>>
}

/** One compare-and-set of {@link StateStore.updateMany}: the arguments of `update`. */
export interface StoreChange {
  readonly ref: TargetRef
  readonly expectVersion: number
  readonly next: Omit<TargetLive, 'version'>
  readonly event: HistoryEvent | undefined
}

export type UpdateResult =
  | { readonly ok: true; readonly live: TargetLive }
  | { readonly ok: false; readonly current: TargetLive | undefined }

/**
 * Where live state lives: in memory (optionally persisted to a file) or in Redis.
 *
 * Guarantees: `update` is a compare-and-set on `version` that also appends the history event in the
 * same atomic step; `snapshot()` is synchronous and never waits on I/O (the data plane and the admin
 * reads use it); `onChange` fires after any change, local or (for shared stores) from another replica.
 * Leaves out: deciding *what* to change; that is control/'s job, through core/rollout.
 */
export interface StateStore {
  readonly kind: 'memory' | 'redis'
  /** Load persisted state (start-up, reconnect). Idempotent. */
  load(): Promise<void>
  snapshot(): LiveSnapshot
  get(ref: TargetRef): TargetLive | undefined
  /** Create or replace a target's state. `expectVersion` 0 means "must not exist yet". */
  update(ref: TargetRef, expectVersion: number, next: Omit<TargetLive, 'version'>, event: HistoryEvent | undefined): Promise<UpdateResult>
  /**
   * Many `update`s in one step, each applied or refused on its own version (results in order):
   * for a start or reload that touches thousands of targets, one write instead of one per target.
   * Optional: without it, callers make one `update` per change.
   */
  updateMany?(changes: readonly StoreChange[]): Promise<UpdateResult[]>
  /** Add (`present`) or remove an id from a group, live; effective for the next decision. */
  setMember(ref: TargetRef, group: string, id: string, present: boolean): Promise<void>
  /** Oldest first; at most `limit` of the newest. */
  history(ref: TargetRef, limit: number): Promise<readonly HistoryEvent[]>
  onChange(listener: (ref: TargetRef) => void): () => void
  /** Resolves when the store is reachable (for /readyz). */
  ping(): Promise<void>
  /**
   * Take or renew the named lease for `ttlMs`: true when `holder` holds it now (it was free, or
   * `holder` already had it). At most one holder at a time across every replica sharing the store;
   * a holder that stops renewing loses it `ttlMs` after its last successful call. Rejects while the
   * store is unreachable: treat that as "not holding". A single-process store always grants it.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>
  /** Give the lease up at once if `holder` holds it (another holder's lease is left alone). */
  releaseLease(name: string, holder: string): Promise<void>
  /**
   * Per-window analysis counts shared by the replicas (see state/fleet.ts). Undefined for a
   * single-process store: the controller then judges its own process's windows.
   */
  readonly fleet?: FleetWindows
  /**
   * Where goal counts are shared and kept (see state/goal-log.ts): Redis for the fleet, a directory
   * beside the state file for one process. Undefined for a memory store without a file: goals are
   * then counted in this process only.
   */
  readonly goalLog?: GoalLog | undefined
  close(): Promise<void>
}

export function refKey(ref: TargetRef): string {
  return `${ref.kind}/${ref.name}`
}

/** How many history events the store keeps per target. */
export const HISTORY_LIMIT = 1000
