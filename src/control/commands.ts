import type { Logger } from 'pino'
import type { Verdict, WindowObservation } from '../core/analysis.js'
import { step, type RolloutEvent, type Transition } from '../core/rollout.js'
import type { TargetRef } from '../core/types.js'
import { SluiceError } from '../util/errors.js'
import type { Recorder } from '../observe/metrics/recorder.js'
import type { Actor, HistoryEvent, StateStore, StoreChange, TargetLive } from '../state/store.js'
import type { Clock } from '../util/clock.js'
import { TimeSlice } from '../util/time-slice.js'
import { findTarget, toPercent, type TargetConfig, type TargetSet } from './status.js'

interface PlannedChange {
  readonly from: Plan
  readonly change: StoreChange | undefined
  readonly transition: Transition | undefined
}

/** Compare-and-set attempts before giving up with SLUICE_ERR_CONFLICT: contention is a few writers at most. */
const MAX_CAS_ATTEMPTS = 10
const MAX_PERCENT_BP = 10_000

/** A change of percent or state, as notifications and the rollback counter hear about it. */
export interface TransitionNotice {
  readonly ref: TargetRef
  readonly transition: Transition
  readonly from: TargetLive | Plan
  readonly to: TargetLive
  readonly at: number
}

export interface CommandsDeps {
  readonly store: StateStore
  readonly clock: Clock
  readonly logger: Logger
  readonly recorder: Recorder
  /** The running config's targets; read on every call so reloads are seen. */
  readonly targets: () => TargetSet
  /** Told about every transition that has a notify kind (rolled_back, completed, paused). */
  readonly onNotice?: (n: TransitionNotice) => void
}

export interface CommandOptions {
  readonly actor: Actor
  readonly reason?: string | undefined
}

export type ManualCommand = 'pause' | 'resume' | 'promote' | 'rollback'

/** The fields a command decides; `updatedAt` and `version` are the store's bookkeeping. */
export type Plan = Omit<TargetLive, 'updatedAt' | 'version'>
/** current → next (with its transition), or undefined when there is nothing to change. Re-run on every CAS retry. */
type Planner = (current: Plan) => { next: Plan; transition: Transition | undefined } | undefined

/**
 * All changes of live state: manual commands (admin API, CLI), the rollout controller's ticks, and
 * the start/reload application of file intent. Every change is planned by the pure core/rollout
 * `step` and written with a compare-and-set that carries its history event, retried on conflict;
 * each change logs one info line. Refusals are SluiceErrors thrown before anything is written
 * (NOT_FOUND, BAD_REQUEST, INVALID_STATE). The gauges are not set here: they follow the store's
 * live state on every replica (observe/live-gauges.ts), whichever replica made the change.
 */
export class Commands {
  readonly #deps: CommandsDeps

  constructor(deps: CommandsDeps) {
    this.#deps = deps
  }

  /** Sets the share to new; a manual change takes the target out of any automatic rollout. */
  async setPercent(ref: TargetRef, percentBp: number, opts: CommandOptions): Promise<TargetLive> {
    if (!Number.isInteger(percentBp) || percentBp < 0 || percentBp > MAX_PERCENT_BP) {
      findTarget(this.#deps.targets(), ref)
      throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `percent ${toPercent(percentBp)} is not allowed: use a number from 0 to 100 with at most two decimals`)
    }
    return this.#rollout(ref, opts, (now) => ({ type: 'set-percent', now, percentBp, actor: opts.actor, reason: opts.reason }), (cur) =>
      // Idempotent: a repeated PUT of the same percent writes nothing and adds no history event.
      cur.percentBp === percentBp && cur.state === 'manual')
  }

  /** pause, resume, promote or rollback, as the operator's command. */
  run(ref: TargetRef, command: ManualCommand, opts: CommandOptions): Promise<TargetLive> {
    return this.#rollout(ref, opts, (now) => ({ type: command, now, actor: opts.actor, reason: opts.reason }))
  }

  /**
   * Add or remove a user id in a group, live. Ids are 1–256 characters with no control characters
   * (emails, UIDs, any request attribute); effective for the next request.
   */
  async setMember(ref: TargetRef, group: string, id: string, present: boolean, opts: CommandOptions): Promise<void> {
    const cfg = findTarget(this.#deps.targets(), ref)
    if (!cfg.groups.some((g) => g.name === group)) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `${ref.kind} '${ref.name}' has no group named '${group}' (groups: ${cfg.groups.map((g) => g.name).join(', ') || 'none'})`)
    }
    if (!isValidMemberId(id)) {
      throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `a user id must be 1-256 printable characters (no control characters), not ${JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}...` : id)}`)
    }
    await this.#deps.store.setMember(ref, group, id, present)
    this.#deps.logger.info({ kind: ref.kind, name: ref.name, group, actor: opts.actor, reason: opts.reason }, present ? 'group member added' : 'group member removed')
  }

  /**
   * The controller's periodic evaluation: time, schedule window, the window that just closed (if any)
   * and the verdict the evidence supports with it. The verdict is written into the live state (as
   * `lastVerdict`) even when it changes nothing else, in the same compare-and-set as any transition
   * it causes: every replica's status then shows it.
   */
  tick(
    ref: TargetRef, windowOpen: boolean, window: WindowObservation | undefined, verdict: Verdict | undefined,
  ): Promise<TargetLive> {
    return this.#rollout(ref, { actor: 'schedule' }, (now) => ({ type: 'tick', now, windowOpen, window }), undefined, verdict)
  }

  /**
   * Start: create missing live state from the file (a target with a rollout block starts
   * progressing from before its first step). Reload: the file's percent is applied only when it
   * differs from the one last applied (`filePercentBp`), so an edit in the file wins and an
   * unrelated reload never undoes a live change or a rollback. While a rollout runs (progressing,
   * waiting, paused) the file's percent is only its starting point: the rollout keeps its percent
   * and a warning says so. A GitOps user who bumps the number must not lose a running ramp silently.
   */
  async applyFileIntent(config: TargetSet, prev: TargetSet | undefined): Promise<void> {
    const opts: CommandOptions = { actor: 'config', reason: 'percent changed in the config file' }
    const targets: { ref: TargetRef; cfg: TargetConfig }[] = [
      ...config.routes.map((cfg) => ({ ref: { kind: 'route', name: cfg.name } as TargetRef, cfg })),
      ...config.queues.map((cfg) => ({ ref: { kind: 'queue', name: cfg.name } as TargetRef, cfg })),
    ]
    const planner = (ref: TargetRef, cfg: TargetConfig): Planner =>
      (cur) => fileChange(cfg, cur, this.#deps.store.get(ref) === undefined)
    const warn = (ref: TargetRef, cfg: TargetConfig, before: TargetLive | undefined, after: TargetLive): void => {
      if (cfg.rollout && before && before.filePercentBp !== cfg.percentBp) this.#warnFileEdit(ref, cfg, before, after)
    }
    const { store } = this.#deps
    let pending: readonly { ref: TargetRef; cfg: TargetConfig }[] = targets
    if (store.updateMany !== undefined) {
      // Thousands of targets: one store step (one state-file write) for all, then one by one only
      // for the few that changed concurrently in between.
      // Planned and reported in time slices: 10,000 targets in one go would hold the event loop.
      const plan = new TimeSlice()
      const steps = []
      for (const { ref, cfg } of targets) {
        await plan.pass()
        const before = store.get(ref)
        steps.push({ ref, cfg, before, step: this.#plan(ref, cfg, opts, planner(ref, cfg), before) })
      }
      for (const s of steps) {
        await plan.pass()
        if (s.step.change === undefined && s.before !== undefined) warn(s.ref, s.cfg, s.before, s.before)
      }
      const writes = steps.filter((s) => s.step.change !== undefined)
      const results = await store.updateMany(writes.map((w) => w.step.change!))
      const report = new TimeSlice()
      const retry: { ref: TargetRef; cfg: TargetConfig }[] = []
      for (const [i, w] of writes.entries()) {
        await report.pass()
        const result = results[i]!
        if (!result.ok) {
          retry.push(w)
          continue
        }
        this.#report(w.ref, w.step.from, result.live, w.step.transition, opts, w.step.change!.next.updatedAt)
        warn(w.ref, w.cfg, w.before, result.live)
      }
      pending = retry
    }
    for (const { ref, cfg } of pending) {
      const before = store.get(ref)
      warn(ref, cfg, before, await this.#transition(ref, cfg, opts, planner(ref, cfg)))
    }
    if (prev !== undefined) await this.#logRemoved(config, prev)
  }

  #rollout(
    ref: TargetRef,
    opts: CommandOptions,
    event: (now: number) => RolloutEvent,
    noop?: (cur: Plan) => boolean,
    verdict?: Verdict,
  ): Promise<TargetLive> {
    const cfg = findTarget(this.#deps.targets(), ref)
    return this.#transition(ref, cfg, opts, (cur) => {
      if (noop?.(cur)) return undefined
      const now = this.#deps.clock.now()
      const result = step(cfg.rollout, cur, event(now))
      if (!result.ok) throw new SluiceError('SLUICE_ERR_INVALID_STATE', result.message)
      if (result.next === cur && verdict === undefined) return undefined
      const next: Plan = { ...result.next, filePercentBp: cur.filePercentBp }
      const planned = verdict === undefined ? next : { ...next, lastVerdict: { ...verdict, at: now } }
      return { next: planned, transition: result.transition }
    })
  }

  async #transition(ref: TargetRef, cfg: TargetConfig, opts: CommandOptions, plan: Planner): Promise<TargetLive> {
    const { store } = this.#deps
    let current = store.get(ref)
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const { from, change, transition } = this.#plan(ref, cfg, opts, plan, current)
      if (change === undefined) return current!
      const result = await store.update(ref, change.expectVersion, change.next, change.event)
      if (result.ok) {
        this.#report(ref, from, result.live, transition, opts, change.next.updatedAt)
        return result.live
      }
      current = result.current
    }
    throw new SluiceError('SLUICE_ERR_CONFLICT', `${ref.kind} '${ref.name}' kept changing concurrently; retry`)
  }

  /** What `plan` makes of the current live state: the store change, or none when nothing changes. */
  #plan(
    ref: TargetRef, cfg: TargetConfig, opts: CommandOptions, plan: Planner, current: TargetLive | undefined,
  ): PlannedChange {
    // A target without live state yet starts from its file values: a change from there is history too.
    const from: Plan = current ?? initialPlan(cfg)
    const planned = plan(from)
    if (planned === undefined && current !== undefined) return { from, change: undefined, transition: undefined }
    const { next: planNext, transition } = planned ?? { next: from, transition: undefined }
    const next = keepVerdict(from, planNext)
    const now = this.#deps.clock.now()
    const event = historyEvent(from, next, now, transition ?? { actor: opts.actor, reason: opts.reason ?? 'config' })
    const change = { ref, expectVersion: current?.version ?? 0, next: { ...next, updatedAt: now }, event }
    return { from, transition, change }
  }

  #report(
    ref: TargetRef, from: Plan, to: TargetLive, transition: Transition | undefined, opts: CommandOptions, at: number,
  ): void {
    const { recorder, logger } = this.#deps
    const fields = {
      kind: ref.kind, name: ref.name, actor: transition?.actor ?? opts.actor, reason: transition?.reason ?? opts.reason,
    }
    if (transition?.notify === 'rolled_back') {
      recorder.rollback(ref, rollbackReason(transition))
      logger.warn({ ...fields, from: toPercent(from.percentBp), figures: transition.verdict && figuresOf(transition.verdict) }, 'rolled back')
    } else if (from.percentBp !== to.percentBp) {
      logger.info({ ...fields, from: toPercent(from.percentBp), to: toPercent(to.percentBp), state: to.state }, 'percent changed')
    } else if (from.state !== to.state) {
      logger.info({ ...fields, from: from.state, to: to.state }, 'state changed')
    }
    if (transition?.notify) this.#deps.onNotice?.({ ref, transition, from, to, at })
  }

  /** What a file edit of `percent` did to a target with a rollout, in words (README "Config versus live state"). */
  #warnFileEdit(ref: TargetRef, cfg: TargetConfig, before: TargetLive, after: TargetLive): void {
    const edit = `percent in the config file changed ${toPercent(before.filePercentBp)} → ${toPercent(cfg.percentBp)} %`
    const fields = {
      kind: ref.kind,
      name: ref.name,
      filePercent: toPercent(cfg.percentBp),
      percent: toPercent(after.percentBp),
      state: after.state,
    }
    const message = after.state === before.state && after.percentBp === before.percentBp
      ? `${edit} while the rollout is ${before.state} at ${toPercent(before.percentBp)} %: the rollout keeps its percent; the file's percent is only where a rollout starts`
      : `${edit}: applied; the rollout (${before.state} before) is now ${after.state} at ${toPercent(after.percentBp)} % (sluice resume ${ref.name} starts it again)`
    this.#deps.logger.warn(fields, message)
  }

  /** One line naming the targets a reload removed (routes first), in time slices: two configs of 10,000. */
  async #logRemoved(config: TargetSet, prev: TargetSet): Promise<void> {
    const slice = new TimeSlice()
    const removed: string[] = []
    const kinds = [['route', config.routes, prev.routes], ['queue', config.queues, prev.queues]] as const
    for (const [kind, current, before] of kinds) {
      const names = new Set<string>()
      for (const t of current) {
        await slice.pass()
        names.add(t.name)
      }
      for (const t of before) {
        await slice.pass()
        if (!names.has(t.name)) removed.push(`${kind}/${t.name}`)
      }
    }
    if (removed.length > 0) this.#deps.logger.info({ removed }, 'targets removed from the config; their live state is kept')
  }
}

const MEMBER_ID_RE = /^[^\p{Cc}]{1,256}$/u

export function isValidMemberId(id: string): boolean {
  return MEMBER_ID_RE.test(id) && id.trim().length > 0
}

/** States in which a rollout owns the percent: a file edit of `percent` does not take it over. */
const ROLLOUT_OWNS_PERCENT: ReadonlySet<Plan['state']> = new Set(['progressing', 'waiting', 'paused'])

function fileChange(cfg: TargetConfig, cur: Plan, isNew: boolean): { next: Plan; transition: undefined } | undefined {
  if (isNew) return { next: cur, transition: undefined }
  if (cur.filePercentBp === cfg.percentBp) return undefined
  if (cfg.rollout && ROLLOUT_OWNS_PERCENT.has(cur.state)) {
    return { next: { ...cur, filePercentBp: cfg.percentBp }, transition: undefined }
  }
  return { next: { percentBp: cfg.percentBp, filePercentBp: cfg.percentBp, state: 'manual', step: cur.step }, transition: undefined }
}

/** The last verdict stays until a newer one: a manual change or a reload does not erase what analysis said. */
function keepVerdict(from: Plan, next: Plan): Plan {
  if (next.lastVerdict !== undefined || from.lastVerdict === undefined) return next
  return { ...next, lastVerdict: from.lastVerdict }
}

function initialPlan(cfg: TargetConfig): Plan {
  return { percentBp: cfg.percentBp, state: cfg.rollout ? 'progressing' : 'manual', step: -1, filePercentBp: cfg.percentBp }
}

/** sluice_rollbacks_total's reason: the first failed check (a goal's or metric check's kind), or `manual`. */
function rollbackReason(t: Transition): string {
  if (t.actor !== 'analysis' || !t.verdict) return 'manual'
  const check = t.verdict.failed[0]
  if (check !== undefined) return { maxErrorRate: 'error_rate', maxErrorRateVsOld: 'error_rate_vs_old', maxP99Ms: 'p99', maxP99VsOld: 'p99_vs_old', maxMismatchRate: 'mismatch_rate' }[check]
  return (t.verdict.outside ?? []).find((c) => c.outcome === 'fail')?.kind ?? 'manual'
}

/**
 * The analysis figures a history event and a webhook carry: the last window's and the step's counts,
 * the evidence per check.
 */
export function figuresOf(v: Verdict): Record<string, unknown> {
  const outside = v.outside && v.outside.length > 0 ? { outside: v.outside } : {}
  return {
    verdict: v.kind, failed: v.failed, old: v.old, new: v.new, checks: v.checks, step: v.step,
    ...outside,
    ...(v.missing ? { missing: v.missing } : {}),
  }
}

/** Only changes of percent or state (and held steps) are history; bookkeeping (filePercentBp, stepSince) is not. */
function historyEvent(from: Plan, to: Plan, at: number, t: Pick<Transition, 'actor' | 'reason' | 'verdict' | 'record'>): HistoryEvent | undefined {
  if (from.percentBp === to.percentBp && from.state === to.state && t.record !== true) return undefined
  const base = {
    at,
    actor: t.actor,
    reason: t.reason,
    from: { percentBp: from.percentBp, state: from.state },
    to: { percentBp: to.percentBp, state: to.state },
  }
  return t.verdict ? { ...base, figures: figuresOf(t.verdict) } : base
}
