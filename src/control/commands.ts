import type { Logger } from 'pino'
import type { RolloutState, TargetRef } from '../core/types.js'
import { SluiceError } from '../errors.js'
import type { Recorder } from '../observe/recorder.js'
import type { Actor, HistoryEvent, StateStore, TargetLive } from '../state/store.js'
import type { Clock } from '../util/clock.js'
import { findTarget, toPercent, type TargetConfig, type TargetSet } from './status.js'

/** Compare-and-set attempts before giving up with SLUICE_ERR_CONFLICT: contention is a few writers at most. */
const MAX_CAS_ATTEMPTS = 10
const MAX_PERCENT_BP = 10_000

export interface CommandsDeps {
  readonly store: StateStore
  readonly clock: Clock
  readonly logger: Logger
  readonly recorder: Recorder
  /** The running config's targets; read on every call so reloads are seen. */
  readonly targets: () => TargetSet
}

export interface CommandOptions {
  readonly actor: Actor
  readonly reason?: string | undefined
}

/** The fields a command decides; `updatedAt` and `version` are the store's bookkeeping. */
type Plan = Pick<TargetLive, 'percentBp' | 'state' | 'step' | 'filePercentBp'>
/** current → next, or undefined when there is nothing to change. Pure: re-run on every CAS retry. */
type Planner = (current: TargetLive | undefined) => Plan | undefined

/**
 * Manual control of live state (admin API, CLI) and the start/reload application of file intent.
 *
 * Guarantees: every change goes through a compare-and-set on the store with its history event in
 * the same step, retried on conflict; each change updates the recorder and logs one info line.
 * Validation errors are SluiceErrors (NOT_FOUND, BAD_REQUEST) thrown before anything is written.
 * Every command is a Planner run by `#transition`, so pause/resume/promote/rollback slot in as
 * further planners.
 */
export class Commands {
  readonly #deps: CommandsDeps

  constructor(deps: CommandsDeps) {
    this.#deps = deps
  }

  /** Sets the share to new; a manual change takes the target out of any automatic rollout. */
  async setPercent(ref: TargetRef, percentBp: number, opts: CommandOptions): Promise<TargetLive> {
    const cfg = findTarget(this.#deps.targets(), ref)
    if (!Number.isInteger(percentBp) || percentBp < 0 || percentBp > MAX_PERCENT_BP) {
      throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `percent ${toPercent(percentBp)} is not allowed: use a number from 0 to 100 with at most two decimals`)
    }
    return this.#transition(ref, cfg, opts, (cur) => {
      const base = cur ?? initialPlan(cfg)
      // Idempotent: a repeated PUT of the same percent writes nothing and adds no history event.
      if (cur !== undefined && cur.percentBp === percentBp && cur.state === 'manual') return undefined
      return { ...pick(base), percentBp, state: 'manual' }
    })
  }

  /**
   * Start: create missing live state from the file (manual, step -1). Reload: the file's percent is
   * applied only when it differs from the one last applied (`filePercentBp`), so an edit in the file
   * wins and an unrelated reload never undoes a live change or a rollback. Then the recorder is
   * synchronised with the live state of every target. `prev` is only used to log removed targets:
   * their live state stays in the store, so re-adding one resumes where it was.
   */
  async applyFileIntent(config: TargetSet, prev: TargetSet | undefined): Promise<void> {
    const opts: CommandOptions = { actor: 'config', reason: 'percent changed in the config file' }
    for (const [kind, list] of [['route', config.routes], ['queue', config.queues]] as const) {
      for (const cfg of list) {
        const ref: TargetRef = { kind, name: cfg.name }
        const live = await this.#transition(ref, cfg, opts, (cur) => fileChange(cfg, cur))
        this.#deps.recorder.percent(ref, live.percentBp)
        this.#deps.recorder.rolloutState(ref, live.state)
      }
    }
    if (prev !== undefined) this.#logRemoved(config, prev)
  }

  async #transition(ref: TargetRef, cfg: TargetConfig, opts: CommandOptions, plan: Planner): Promise<TargetLive> {
    const { store, clock } = this.#deps
    let current = store.get(ref)
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const next = plan(current)
      if (next === undefined) {
        if (current === undefined) throw new Error(`planner for ${ref.kind} '${ref.name}' declined to create its live state`)
        return current
      }
      // A target without live state yet starts from its file values: a change from there is history too.
      const event = historyEvent(current ?? initialPlan(cfg), next, clock.now(), opts)
      const result = await store.update(ref, current?.version ?? 0, { ...next, updatedAt: clock.now() }, event)
      if (result.ok) {
        this.#report(ref, current ?? initialPlan(cfg), result.live, opts)
        return result.live
      }
      current = result.current
    }
    throw new SluiceError('SLUICE_ERR_CONFLICT', `${ref.kind} '${ref.name}' kept changing concurrently; retry`)
  }

  #report(ref: TargetRef, from: Plan, to: TargetLive, opts: CommandOptions): void {
    const { recorder, logger } = this.#deps
    recorder.percent(ref, to.percentBp)
    recorder.rolloutState(ref, to.state)
    const fields = { kind: ref.kind, name: ref.name, actor: opts.actor, reason: opts.reason }
    if (from.percentBp !== to.percentBp) {
      logger.info({ ...fields, from: toPercent(from.percentBp), to: toPercent(to.percentBp) }, 'percent changed')
    } else if (from.state !== to.state) {
      logger.info({ ...fields, from: from.state, to: to.state }, 'state changed')
    }
  }

  #logRemoved(config: TargetSet, prev: TargetSet): void {
    const names = (s: TargetSet) => [...s.routes.map((r) => `route/${r.name}`), ...s.queues.map((q) => `queue/${q.name}`)]
    const now = new Set(names(config))
    const removed = names(prev).filter((n) => !now.has(n))
    if (removed.length > 0) this.#deps.logger.info({ removed }, 'targets removed from the config; their live state is kept')
  }
}

function fileChange(cfg: TargetConfig, cur: TargetLive | undefined): Plan | undefined {
  if (cur === undefined) return initialPlan(cfg)
  if (cur.filePercentBp === cfg.percentBp) return undefined
  return { ...pick(cur), percentBp: cfg.percentBp, filePercentBp: cfg.percentBp, state: 'manual' }
}

function initialPlan(cfg: TargetConfig): Plan {
  return { percentBp: cfg.percentBp, state: 'manual', step: -1, filePercentBp: cfg.percentBp }
}

function pick(live: Plan): Plan {
  return { percentBp: live.percentBp, state: live.state, step: live.step, filePercentBp: live.filePercentBp }
}

/** Only changes of percent or state are history; bookkeeping (filePercentBp) is not. */
function historyEvent(from: Plan, to: Plan, at: number, opts: CommandOptions): HistoryEvent | undefined {
  if (from.percentBp === to.percentBp && from.state === to.state) return undefined
  return {
    at,
    actor: opts.actor,
    reason: opts.reason,
    from: snapshot(from.percentBp, from.state),
    to: snapshot(to.percentBp, to.state),
  }
}

function snapshot(percentBp: number, state: RolloutState): HistoryEvent['from'] {
  return { percentBp, state }
}
