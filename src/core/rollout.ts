import type { RolloutPolicy } from '../config/types.js'
import type { Verdict } from './analysis.js'
import type { RolloutState } from './types.js'

/**
 * The whole rollout state machine as one pure function: every transition (controller ticks and
 * operator commands alike) goes through `step`, so history events and notifications come from one
 * place. Flagger's rollback called from five places is the counter-example.
 *
 * States: manual (no rollout, or taken over by hand) · progressing · waiting (outside a schedule
 * window: no increase; `outside: N` lowers to N) · paused · rolled_back · completed.
 */

export type Actor = 'admin' | 'config' | 'schedule' | 'analysis'

/** The rollout-relevant part of a target's live state (a subset of state/store's TargetLive). */
export interface RolloutLive {
  readonly percentBp: number
  readonly state: RolloutState
  readonly step: number
  readonly stepSince?: number
  readonly failures?: number
  readonly resumeBp?: number
}

export type RolloutEvent =
  | { readonly type: 'tick'; readonly now: number; readonly windowOpen: boolean; readonly verdict: Verdict | undefined }
  | { readonly type: 'pause' | 'resume' | 'promote' | 'rollback'; readonly now: number; readonly actor: Actor; readonly reason?: string | undefined }
  | { readonly type: 'set-percent'; readonly now: number; readonly actor: Actor; readonly percentBp: number; readonly reason?: string | undefined }

/** A change worth a history event (and, for some, a webhook). */
export interface Transition {
  readonly actor: Actor
  readonly reason: string
  /** rolled_back / completed / paused: what notify.webhooks hear about. */
  readonly notify?: 'rolled_back' | 'completed' | 'paused'
  readonly verdict?: Verdict
}

export type StepResult =
  | { readonly ok: true; readonly next: RolloutLive; readonly transition: Transition | undefined }
  | { readonly ok: false; readonly message: string }

const FULL_BP = 10_000

export function step(policy: RolloutPolicy | undefined, live: RolloutLive, ev: RolloutEvent): StepResult {
  switch (ev.type) {
    case 'tick': return { ok: true, ...tick(policy, live, ev) }
    case 'set-percent': return changed({ ...clear(live), percentBp: ev.percentBp, state: 'manual' }, ev.actor, ev.reason ?? 'percent set by hand')
    case 'promote': return changed({ ...clear(live), percentBp: FULL_BP, state: policy ? 'completed' : 'manual', step: policy ? policy.stepsBp.length - 1 : live.step }, ev.actor, ev.reason ?? 'promoted to 100 %', policy ? 'completed' : undefined)
    case 'rollback': return changed({ ...clear(live), percentBp: 0, state: 'rolled_back', step: -1 }, ev.actor, ev.reason ?? 'rolled back by hand', 'rolled_back')
    case 'pause': return pause(live, ev.actor, ev.reason)
    case 'resume': return resume(policy, live, ev.now, ev.actor, ev.reason)
  }
}

/** Drop the per-step bookkeeping (a manual change starts afresh). */
function clear(live: RolloutLive): RolloutLive {
  return { percentBp: live.percentBp, state: live.state, step: live.step }
}

function changed(next: RolloutLive, actor: Actor, reason: string, notify?: Transition['notify']): StepResult {
  return { ok: true, next, transition: notify ? { actor, reason, notify } : { actor, reason } }
}

function pause(live: RolloutLive, actor: Actor, reason: string | undefined): StepResult {
  if (live.state !== 'progressing' && live.state !== 'waiting') {
    return { ok: false, message: `cannot pause: the rollout is ${live.state} (only a progressing or waiting rollout can be paused)` }
  }
  return changed({ ...live, state: 'paused' }, actor, reason ?? 'paused by hand')
}

function resume(policy: RolloutPolicy | undefined, live: RolloutLive, now: number, actor: Actor, reason: string | undefined): StepResult {
  if (!policy) return { ok: false, message: 'cannot resume: this target has no rollout block (use set-percent)' }
  if (live.state === 'progressing' || live.state === 'waiting') return { ok: false, message: `the rollout is already ${live.state}` }
  if (live.state === 'completed') return { ok: false, message: 'the rollout is completed; rollback or set-percent first' }
  // After a rollback the ramp starts again from the first step; after a pause or a manual
  // percent it continues from the highest step at or below the current percent.
  const restart = live.state === 'rolled_back'
  const at = restart ? -1 : stepAtOrBelow(policy.stepsBp, live.percentBp)
  const percentBp = restart ? 0 : live.percentBp
  return changed({ percentBp, state: 'progressing', step: at, stepSince: now, failures: 0 }, actor, reason ?? (restart ? 'resumed from the first step' : 'resumed'))
}

function stepAtOrBelow(steps: readonly number[], percentBp: number): number {
  let at = -1
  for (let i = 0; i < steps.length; i++) if (steps[i]! <= percentBp) at = i
  return at
}

type TickResult = { next: RolloutLive; transition: Transition | undefined }

function tick(policy: RolloutPolicy | undefined, live: RolloutLive, ev: Extract<RolloutEvent, { type: 'tick' }>): TickResult {
  const judged = policy ? judge(policy, live, ev.verdict) : undefined
  if (judged) return judged
  if (!policy || (live.state !== 'progressing' && live.state !== 'waiting')) return { next: live, transition: undefined }
  const counted = countVerdict(live, ev.verdict)
  if (!ev.windowOpen) return leaveWindow(policy, counted)
  if (live.state === 'waiting') return enterWindow(counted, ev.now)
  return advance(policy, counted, ev)
}

/** Analysis runs in every active state (paused and waiting too): a failing new side rolls back at any hour. */
function judge(policy: RolloutPolicy, live: RolloutLive, verdict: Verdict | undefined): TickResult | undefined {
  const active = live.state === 'progressing' || live.state === 'waiting' || live.state === 'paused'
  if (!active || verdict?.kind !== 'fail' || !policy.analysis) return undefined
  const failures = (live.failures ?? 0) + 1
  if (failures < policy.analysis.failureLimit) return { next: { ...live, failures }, transition: undefined }
  const reason = `analysis failed ${failures} times in a row: ${verdict.failed.join(', ')}`
  return { next: { percentBp: 0, state: 'rolled_back', step: -1, failures }, transition: { actor: 'analysis', reason, notify: 'rolled_back', verdict } }
}

function countVerdict(live: RolloutLive, verdict: Verdict | undefined): RolloutLive {
  return verdict?.kind === 'pass' && (live.failures ?? 0) !== 0 ? { ...live, failures: 0 } : live
}

function leaveWindow(policy: RolloutPolicy, live: RolloutLive): TickResult {
  if (live.state === 'waiting') return { next: live, transition: undefined }
  const outside = policy.schedule?.outside ?? 'hold'
  if (outside === 'hold' || live.percentBp <= outside.percentBp) {
    return { next: { ...live, state: 'waiting' }, transition: { actor: 'schedule', reason: 'outside the schedule windows: holding' } }
  }
  const next: RolloutLive = { ...live, state: 'waiting', percentBp: outside.percentBp, resumeBp: live.percentBp }
  return { next, transition: { actor: 'schedule', reason: `outside the schedule windows: lowered to ${outside.percentBp / 100} %` } }
}

function enterWindow(live: RolloutLive, now: number): TickResult {
  const { resumeBp, ...rest } = live
  const next: RolloutLive = { ...rest, state: 'progressing', percentBp: resumeBp ?? live.percentBp, stepSince: now }
  const reason = resumeBp !== undefined ? `schedule window open: back to ${resumeBp / 100} %` : 'schedule window open'
  return { next, transition: { actor: 'schedule', reason } }
}

function advance(policy: RolloutPolicy, live: RolloutLive, ev: Extract<RolloutEvent, { type: 'tick' }>): TickResult {
  const since = live.stepSince ?? ev.now
  const first = live.step < 0
  // The first step needs no verdict: at 0 % the new side has no traffic to judge.
  const due = first || ev.now - since >= policy.intervalMs
  const passed = first || !policy.analysis || ev.verdict?.kind === 'pass'
  const nextStep = live.step + 1
  const target = policy.stepsBp[nextStep]
  if (!due || !passed || target === undefined) return { next: live.stepSince === undefined ? { ...live, stepSince: ev.now } : live, transition: undefined }
  // The ramp is done at its last step (normally 100 %): `sluice wait` needs an end even for [1, 5, 50].
  const done = nextStep === policy.stepsBp.length - 1
  const next: RolloutLive = { percentBp: target, state: done ? 'completed' : 'progressing', step: nextStep, stepSince: ev.now, failures: 0 }
  const reason = done ? 'last step reached: completed' : `step ${nextStep + 1}/${policy.stepsBp.length}${ev.verdict ? ' after a passing analysis' : ''}`
  return { next, transition: done ? { actor: 'schedule', reason, notify: 'completed' } : { actor: 'schedule', reason } }
}
