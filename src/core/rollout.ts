import type { AnalysisPolicy, RolloutPolicy, WebhookEvent } from '../config/types.js'
import { accumulate, assess, freshEvidence, startStep, type Evidence, type Verdict, type WindowObservation } from './analysis.js'
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
  /** The analysis' accumulated evidence; reset when the rollout (re)starts, carried across steps. */
  readonly evidence?: Evidence
  /** The step whose hold for lack of evidence is already in the history (one event per step). */
  readonly heldStep?: number
}

export type RolloutEvent =
  | { readonly type: 'tick'; readonly now: number; readonly windowOpen: boolean; readonly window: WindowObservation | undefined }
  | { readonly type: 'pause' | 'resume' | 'promote' | 'rollback'; readonly now: number; readonly actor: Actor; readonly reason?: string | undefined }
  | { readonly type: 'set-percent'; readonly now: number; readonly actor: Actor; readonly percentBp: number; readonly reason?: string | undefined }

/** A change worth a history event (and, for some, a webhook). */
export interface Transition {
  readonly actor: Actor
  readonly reason: string
  /** What notify.webhooks hear about (each webhook picks its events). */
  readonly notify?: WebhookEvent
  readonly verdict?: Verdict
  /** Record in history even though percent and state stay (a step held for lack of evidence). */
  readonly record?: boolean
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

function resume(
  policy: RolloutPolicy | undefined, live: RolloutLive, now: number, actor: Actor, reason: string | undefined,
): StepResult {
  if (!policy) return { ok: false, message: 'cannot resume: this target has no rollout block (use set-percent)' }
  if (live.state === 'progressing' || live.state === 'waiting') return { ok: false, message: `the rollout is already ${live.state}` }
  if (live.state === 'completed') return { ok: false, message: 'the rollout is completed; rollback or set-percent first' }
  // After a rollback the ramp starts again from the first step; after a pause or a manual
  // percent it continues from the highest step at or below the current percent.
  const restart = live.state === 'rolled_back'
  const at = restart ? -1 : stepAtOrBelow(policy.stepsBp, live.percentBp)
  const percentBp = restart ? 0 : live.percentBp
  // Evidence survives a pause (same rollout); a restart after a rollback starts afresh.
  const kept = !restart && live.evidence && policy.analysis
    ? { evidence: startStep(live.evidence, at, judgedSteps(policy)) }
    : {}
  return changed({ percentBp, state: 'progressing', step: at, stepSince: now, failures: 0, ...kept }, actor, reason ?? (restart ? 'resumed from the first step' : 'resumed'))
}

function stepAtOrBelow(steps: readonly number[], percentBp: number): number {
  let at = -1
  for (let i = 0; i < steps.length; i++) if (steps[i]! <= percentBp) at = i
  return at
}

type TickResult = { next: RolloutLive; transition: Transition | undefined }
type Tick = Extract<RolloutEvent, { type: 'tick' }>

const ACTIVE: ReadonlySet<RolloutLive['state']> = new Set(['progressing', 'waiting', 'paused'])

/** The steps a rollout judges (all but the last, where it completes): the evidence's start-time slots. */
export function judgedSteps(policy: RolloutPolicy): number {
  return Math.max(1, policy.stepsBp.length - 1)
}

function tick(policy: RolloutPolicy | undefined, live: RolloutLive, ev: Tick): TickResult {
  if (!policy || !ACTIVE.has(live.state)) return { next: live, transition: undefined }
  const judged: Judged = policy.analysis && ev.window ? judge(policy, policy.analysis, live, ev.window) : { live }
  if (judged.rollback) return judged.rollback
  const counted = judged.live
  if (counted.state === 'paused') return { next: counted, transition: undefined }
  if (!ev.windowOpen) return leaveWindow(policy, counted)
  if (counted.state === 'waiting') return enterWindow(counted, ev.now)
  return advance(policy, counted, ev)
}

/** The evidence after one more closed window at the live step, and the verdict it supports. */
export function foldWindow(
  policy: RolloutPolicy, analysis: AnalysisPolicy, live: RolloutLive, window: WindowObservation,
): { evidence: Evidence; verdict: Verdict } {
  const slots = judgedSteps(policy)
  const before = startStep(live.evidence ?? freshEvidence(analysis, live.step), live.step, slots)
  const evidence = accumulate(analysis, before, window)
  return { evidence, verdict: assess(analysis, evidence, slots) }
}

interface Judged {
  readonly live: RolloutLive
  readonly rollback?: TickResult
}

/**
 * Fold a closed window into the evidence and count the verdict, in every active state (paused and
 * waiting too): a failing new side rolls back at any hour. A window over a bar adds a failure; a
 * passing one resets the count; an inconclusive one leaves it.
 */
function judge(policy: RolloutPolicy, analysis: AnalysisPolicy, live: RolloutLive, window: WindowObservation): Judged {
  const { evidence, verdict } = foldWindow(policy, analysis, live, window)
  const failures = countFailures(live.failures ?? 0, verdict)
  const next: RolloutLive = { ...live, evidence, failures }
  if (verdict.kind !== 'fail' || failures < analysis.failureLimit) return { live: next }
  const over = [
    ...verdict.checks.filter((c) => !c.pass).map((c) => `${c.check} (M ${c.m.toPrecision(3)} ≥ ${c.bar})`),
    ...(verdict.outside ?? []).filter((c) => c.outcome === 'fail').map((c) => `${c.kind} ${c.name}: ${c.summary}`),
  ]
  const reason = `evidence over its bar ${failures} windows in a row: ${over.join(', ')}`
  const rolled: RolloutLive = { percentBp: 0, state: 'rolled_back', step: -1, failures, evidence }
  return { live: next, rollback: { next: rolled, transition: { actor: 'analysis', reason, notify: 'rolled_back', verdict } } }
}

function countFailures(failures: number, verdict: Verdict): number {
  if (verdict.kind === 'fail') return failures + 1
  return verdict.kind === 'pass' ? 0 : failures
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

function advance(policy: RolloutPolicy, live: RolloutLive, ev: Tick): TickResult {
  const since = live.stepSince ?? ev.now
  const first = live.step < 0
  // The first step needs no verdict: at 0 % the new side has no traffic to judge.
  const due = first || ev.now - since >= policy.intervalMs
  const nextStep = live.step + 1
  const target = policy.stepsBp[nextStep]
  const waitingLive = live.stepSince === undefined ? { ...live, stepSince: ev.now } : live
  if (!due || target === undefined) return { next: waitingLive, transition: undefined }
  const verdict = first || !policy.analysis ? undefined : stepVerdict(policy, policy.analysis, live)
  if (verdict && verdict.kind !== 'pass') return hold(policy, waitingLive, verdict)
  // The ramp is done at its last step (normally 100 %): `sluice wait` needs an end even for [1, 5, 50].
  const done = nextStep === policy.stepsBp.length - 1
  const evidence = live.evidence && policy.analysis
    ? { evidence: startStep(live.evidence, nextStep, judgedSteps(policy)) }
    : {}
  const next: RolloutLive = {
    percentBp: target, state: done ? 'completed' : 'progressing', step: nextStep, stepSince: ev.now, failures: 0, ...evidence,
  }
  const reason = done ? 'last step reached: completed' : `step ${nextStep + 1}/${policy.stepsBp.length}${verdict ? ` after ${verdict.step.new.requests} new-side requests with no check over its bar` : ''}`
  return { next, transition: done ? { actor: 'schedule', reason, notify: 'completed', ...(verdict ? { verdict } : {}) } : { actor: 'schedule', reason, notify: 'step' } }
}

/** The verdict of the evidence gathered at the current step (none yet: nothing at this step). */
function stepVerdict(policy: RolloutPolicy, analysis: AnalysisPolicy, live: RolloutLive): Verdict {
  const slots = judgedSteps(policy)
  return assess(analysis, startStep(live.evidence ?? freshEvidence(analysis, live.step), live.step, slots), slots)
}

/** A due step without enough evidence holds; the first such tick of a step is a history event. */
function hold(policy: RolloutPolicy, live: RolloutLive, verdict: Verdict): TickResult {
  if (verdict.kind !== 'inconclusive' || live.heldStep === live.step) return { next: live, transition: undefined }
  const reason = `holding step ${live.step + 1}/${policy.stepsBp.length}: inconclusive, ${verdict.missing ?? 'too little evidence'}`
  return { next: { ...live, heldStep: live.step }, transition: { actor: 'analysis', reason, verdict, record: true } }
}
