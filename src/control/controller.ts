import type { Logger } from 'pino'
import type { RolloutPolicy } from '../config/types.js'
import { evaluate, type Verdict } from '../core/analysis.js'
import { nextChange, windowOpen } from '../core/schedule.js'
import type { RolloutState, TargetRef } from '../core/types.js'
import type { AnalysisWindows } from '../observe/window.js'
import { refKey, type StateStore } from '../state/store.js'
import type { Clock, Timer } from '../util/clock.js'
import type { Commands } from './commands.js'
import type { TargetConfig, TargetSet } from './status.js'

/** How often the controller looks at every rollout: schedule edges and due steps are seen within this. */
export const DEFAULT_TICK_MS = 1000

/** What status shows about a running rollout, besides its live state. */
export interface RolloutInfo {
  readonly nextStepAt: number | null
  readonly windowOpen: boolean | null
  readonly lastVerdict: (Verdict & { readonly at: number }) | null
}

export interface ControllerDeps {
  readonly commands: Commands
  readonly store: StateStore
  readonly windows: AnalysisWindows
  readonly clock: Clock
  readonly logger: Logger
  readonly targets: () => TargetSet
  readonly tickMs?: number
}

const ACTIVE: ReadonlySet<RolloutState> = new Set(['progressing', 'waiting', 'paused'])

/**
 * The thin loop around the pure core: every tick, for each target with a rollout block, close its
 * analysis window when one is due, judge it (core/analysis), and feed time, schedule and verdict to
 * core/rollout through Commands, which writes the result with CAS. All decisions live in the core.
 */
export class RolloutController {
  readonly #deps: ControllerDeps
  readonly #evalAt = new Map<string, number>()
  readonly #verdicts = new Map<string, Verdict & { at: number }>()
  #timer: Timer | undefined
  #busy = false

  constructor(deps: ControllerDeps) {
    this.#deps = deps
  }

  start(): void {
    this.#timer ??= this.#deps.clock.every(this.#deps.tickMs ?? DEFAULT_TICK_MS, () => { void this.tickAll() })
  }

  stop(): void {
    this.#timer?.stop()
    this.#timer = undefined
  }

  /** One pass over every rollout; overlapping passes are skipped (a slow store must not pile them up). */
  async tickAll(): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    try {
      const { routes, queues } = this.#deps.targets()
      for (const cfg of routes) if (cfg.rollout) await this.#tickOne({ kind: 'route', name: cfg.name }, cfg.rollout)
      for (const cfg of queues) if (cfg.rollout) await this.#tickOne({ kind: 'queue', name: cfg.name }, cfg.rollout)
    } finally {
      this.#busy = false
    }
  }

  info(ref: TargetRef, cfg: TargetConfig): RolloutInfo {
    const policy = cfg.rollout
    const live = this.#deps.store.get(ref)
    if (!policy || !live) return { nextStepAt: null, windowOpen: null, lastVerdict: null }
    const now = this.#deps.clock.now()
    const open = policy.schedule ? windowOpen(policy.schedule, now) : null
    return { nextStepAt: nextStepAt(policy, live, now, open), windowOpen: open, lastVerdict: this.#verdicts.get(refKey(ref)) ?? null }
  }

  async #tickOne(ref: TargetRef, policy: RolloutPolicy): Promise<void> {
    const key = refKey(ref)
    const now = this.#deps.clock.now()
    const live = this.#deps.store.get(ref)
    if (!live || !ACTIVE.has(live.state)) {
      // Nothing to judge: drop the window, and keep the verdict that led here for status.
      this.#deps.windows.take(key)
      this.#evalAt.delete(key)
      return
    }
    const verdict = this.#judge(key, policy, now)
    try {
      await this.#deps.commands.tick(ref, windowOpen(policy.schedule, now), verdict)
    } catch (err) {
      this.#deps.logger.error({ err, kind: ref.kind, name: ref.name }, 'rollout tick failed; retrying at the next tick')
    }
  }

  /** Close the analysis window when it is due; the verdict is kept for status. */
  #judge(key: string, policy: RolloutPolicy, now: number): Verdict | undefined {
    const analysis = policy.analysis
    const due = this.#evalAt.get(key)
    if (due === undefined) {
      // Start the first window now: whatever accumulated before belongs to no window.
      this.#deps.windows.take(key)
      this.#evalAt.set(key, now + (analysis?.windowMs ?? policy.intervalMs))
      return undefined
    }
    if (now < due) return undefined
    const pair = this.#deps.windows.take(key)
    this.#evalAt.set(key, now + (analysis?.windowMs ?? policy.intervalMs))
    if (!analysis) return undefined
    const verdict = evaluate(analysis, pair.old, pair.new)
    this.#verdicts.set(key, { ...verdict, at: now })
    if (verdict.kind === 'fail') this.#deps.logger.warn({ target: key, failed: verdict.failed, old: verdict.old, new: verdict.new }, 'analysis failed')
    return verdict
  }
}

function nextStepAt(policy: RolloutPolicy, live: { state: RolloutState; step: number; stepSince?: number }, now: number, open: boolean | null): number | null {
  if (live.state !== 'progressing' && live.state !== 'waiting') return null
  if (live.step + 1 >= policy.stepsBp.length) return null
  const due = live.step < 0 ? now : (live.stepSince ?? now) + policy.intervalMs
  if (open === false) return nextChange(policy.schedule, now) ?? null
  return Math.max(due, now)
}
