import type { Logger } from 'pino'
import type { AnalysisPolicy, RolloutPolicy } from '../config/types.js'
import { observe, type OutsideCheck, type Verdict, type WindowObservation } from '../core/analysis.js'
import { foldWindow } from '../core/rollout.js'
import { nextChange, windowOpen } from '../core/schedule.js'
import type { RolloutState, TargetRef } from '../core/types.js'
import type { AnalysisWindows } from '../observe/analysis-windows.js'
import { refKey, type LastVerdict, type StateStore, type TargetLive } from '../state/store.js'
import type { Clock, Timer } from '../util/clock.js'
import type { Commands } from './commands.js'
import { goalChecks, type GoalSource } from './goal-checks.js'
import type { TargetConfig, TargetSet } from './status.js'
import { LocalWindowSource, type FleetFlusher, type WindowSource } from './window-sources.js'

/** How often the controller looks at every rollout: schedule edges and due steps are seen within this. */
export const DEFAULT_TICK_MS = 1000

/** What status shows about a running rollout, besides its live state. */
export interface RolloutInfo {
  readonly nextStepAt: number | null
  readonly windowOpen: boolean | null
  /** From the live state, so every replica shows the leader's verdict (see Commands.tick). */
  readonly lastVerdict: LastVerdict | null
}

export interface ControllerDeps {
  readonly commands: Commands
  readonly store: StateStore
  readonly windows: AnalysisWindows
  readonly clock: Clock
  readonly logger: Logger
  readonly targets: () => TargetSet
  readonly tickMs?: number
  /** Where closed windows come from: this process's own (default) or the fleet's merged figures. */
  readonly source?: WindowSource
  /** Several replicas: every replica hands its counts to the fleet, leader or not. */
  readonly flusher?: FleetFlusher
  /** Whether this replica decides now (it holds the lease and the store answers); default always. */
  readonly isActive?: () => boolean
  /** Routes' goal figures: goals with maxLoss fail the analysis (control/goal-checks.ts). */
  readonly goals?: GoalSource
  /** Prometheus metric checks, judged with each closed window (control/metric-checks.ts); absent = none. */
  readonly metricChecks?: { judge(ref: TargetRef, analysis: AnalysisPolicy): Promise<OutsideCheck[]> }
}

const ACTIVE: ReadonlySet<RolloutState> = new Set(['progressing', 'waiting', 'paused'])

/**
 * The thin loop around the pure core: every tick, for each target with a rollout block, close its
 * analysis window when one is due, judge it (core/analysis), and feed time, schedule and verdict to
 * core/rollout through Commands, which writes the result with CAS. All decisions live in the core.
 * Only one replica is active (the lease holder); an inactive one decides nothing, so no advance and
 * no rollback is ever made on partial data while the store is unreachable.
 */
export class RolloutController {
  readonly #deps: ControllerDeps
  readonly #source: WindowSource
  #timer: Timer | undefined
  #busy = false

  constructor(deps: ControllerDeps) {
    this.#deps = deps
    this.#source = deps.source ?? new LocalWindowSource(deps.windows)
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
      for (const [ref, policy] of this.#rollouts()) await this.#tickOne(ref, policy)
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
    return { nextStepAt: nextStepAt(policy, live, now, open), windowOpen: open, lastVerdict: live.lastVerdict ?? null }
  }

  #rollouts(): Array<[TargetRef, RolloutPolicy]> {
    const { routes, queues } = this.#deps.targets()
    const out: Array<[TargetRef, RolloutPolicy]> = []
    for (const cfg of routes) if (cfg.rollout) out.push([{ kind: 'route', name: cfg.name }, cfg.rollout])
    for (const cfg of queues) if (cfg.rollout) out.push([{ kind: 'queue', name: cfg.name }, cfg.rollout])
    return out
  }

  async #tickOne(ref: TargetRef, policy: RolloutPolicy): Promise<void> {
    const key = refKey(ref)
    const now = this.#deps.clock.now()
    try {
      if (policy.analysis && this.#deps.flusher) await this.#deps.flusher.flush(ref, key, policy.analysis, now)
      if (!(this.#deps.isActive?.() ?? true)) return
      const live = this.#deps.store.get(ref)
      if (!live || !ACTIVE.has(live.state)) {
        // Nothing to judge: drop the window, and keep the verdict that led here for status.
        this.#source.reset(key)
        return
      }
      const window = await this.#observe(ref, key, policy, now)
      const verdict = window ? this.#record(key, policy, live, window) : undefined
      await this.#deps.commands.tick(ref, windowOpen(policy.schedule, now), window, verdict)
    } catch (err) {
      this.#deps.logger.error({ err, kind: ref.kind, name: ref.name }, 'rollout tick failed; retrying at the next tick')
    }
  }

  /** The window that just closed, as counts for the analysis (core/analysis observe); none when not due. */
  async #observe(
    ref: TargetRef, key: string, policy: RolloutPolicy, now: number,
  ): Promise<WindowObservation | undefined> {
    const analysis = policy.analysis
    if (!analysis) return undefined
    const pair = await this.#source.next(ref, key, analysis, now)
    if (!pair) return undefined
    const window = observe(analysis, pair.old, pair.new, pair.shadow)
    const goals = ref.kind === 'route' ? goalChecks(ref.name, this.#deps.goals, analysis.alpha) : []
    const metrics = (await this.#deps.metricChecks?.judge(ref, analysis)) ?? []
    const outside = [...goals, ...metrics]
    return outside.length > 0 ? { ...window, outside: [...(window.outside ?? []), ...outside] } : window
  }

  /**
   * The verdict the evidence supports with this window, for status (Commands.tick stores it in the
   * live state, so every replica shows it); a check over its bar is logged.
   */
  #record(key: string, policy: RolloutPolicy, live: TargetLive, window: WindowObservation): Verdict | undefined {
    if (!policy.analysis) return undefined
    const { verdict } = foldWindow(policy, policy.analysis, live, window)
    if (verdict.kind === 'fail') this.#deps.logger.warn({ target: key, failed: verdict.failed, checks: verdict.checks, outside: verdict.outside?.filter((c) => c.outcome === 'fail'), step: verdict.step }, 'analysis: evidence over its bar')
    return verdict
  }
}

function nextStepAt(
  policy: RolloutPolicy,
  live: { state: RolloutState; step: number; stepSince?: number },
  now: number,
  open: boolean | null,
): number | null {
  if (live.state !== 'progressing' && live.state !== 'waiting') return null
  if (live.step + 1 >= policy.stepsBp.length) return null
  const due = live.step < 0 ? now : (live.stepSince ?? now) + policy.intervalMs
  if (open === false) return nextChange(policy.schedule, now) ?? null
  return Math.max(due, now)
}
