import type { GoalConfig, RouteConfig, Side } from '../config/types.js'
import { hashKey } from '../core/bucket.js'
import { decide } from '../core/decide.js'
import { goalReport, type GoalReport } from '../core/goals.js'
import type { TargetView } from '../core/types.js'
import { FingerprintSet } from '../util/fingerprint-set.js'
import type { Outcome } from './events.js'

/**
 * Per route and side, the distinct sticky keys served (exposure); per goal and side, the distinct
 * exposed keys that sent the goal's event (conversion) and the sum of their values. Keys are
 * 32-bit fingerprints (the route's sticky hash of `NAME:KEY`) in FingerprintSets: a million exposed
 * users cost 8 MiB per side and tally, bounded (util/fingerprint-set.ts).
 *
 * Two tallies run side by side (README "Judging business outcomes"):
 * - the step's: since the route's percent last changed (a rollout's step, a manual change). Under
 *   one split every user has one side, so this is the one the verdict and the analysis judge:
 *   counting across a change would bias the lift (a user served by old at 5 % and moved to new at
 *   10 % stays in old's exposed users while its conversions go to new).
 * - the rollout's (`sinceRollout`): since the percent last rose from 0 (a rollout's first step, a
 *   resume after a rollback), or since start. It keeps the rolled-back rollout's figures after the
 *   percent fell to 0, until the next one begins. Shown, not judged, for the bias above.
 * The event totals of the metrics are never reset (they are counters).
 */

export type ConversionResult = 'counted' | 'duplicate' | 'ignored'

/** One event of a goal from the application: the user's sticky key and an optional value (revenue). */
export interface GoalEvent {
  readonly key: string
  readonly value: number
}

interface SideGoal {
  readonly converted: FingerprintSet
  value: number
}

/** One route's figures for the metrics (registerGoalMetrics in observe/recorder.ts). */
export interface GoalSeries {
  readonly route: string
  readonly exposed: Record<Side, number>
  readonly events: ReadonlyMap<string, Record<Side, number>>
}

/** Exposure and conversions over one span of time (the step's or the rollout's). */
interface Tally {
  readonly exposed: Record<Side, FingerprintSet>
  /** Goal name → each side's conversions. */
  readonly goals: Map<string, Record<Side, SideGoal>>
}

interface RouteGoals {
  /** The percent the step's tally was taken under. */
  readonly percentBp: number
  readonly step: Tally
  readonly rollout: Tally
  readonly goals: Map<string, GoalState>
}

interface GoalState {
  readonly config: GoalConfig
  /** Events attributed to each side, duplicates included (sluice_goal_events_total): never reset. */
  readonly events: Record<Side, number>
}

/** ROUTE.goals[NAME]: the step's figures (as README "Judging business outcomes" shows them) and the rollout's. */
export type RouteGoalReport = GoalReport & { readonly sinceRollout: GoalReport }

export class GoalCounter {
  #routes = new Map<string, RouteGoals>()

  /**
   * Call with every new config and live state. The step's tally restarts when the percent changed,
   * the rollout's when it rose from 0; removed routes and goals are dropped.
   */
  configure(routes: readonly RouteConfig[], views: ReadonlyMap<string, TargetView>): void {
    const next = new Map<string, RouteGoals>()
    for (const r of routes) {
      if (r.goals.length === 0) continue
      const percentBp = views.get(r.name)?.percentBp ?? r.percentBp
      const prev = this.#routes.get(r.name)
      const names = r.goals.map((g) => g.name)
      const step = prev?.percentBp === percentBp ? prev.step : undefined
      const rollout = prev !== undefined && !(prev.percentBp === 0 && percentBp > 0) ? prev.rollout : undefined
      const goals = new Map(r.goals.map((g) => [g.name, { config: g, events: prev?.goals.get(g.name)?.events ?? { old: 0, new: 0 } }]))
      next.set(r.name, { percentBp, step: tally(names, step), rollout: tally(names, rollout), goals })
    }
    this.#routes = next
  }

  /** The bus listener: a route outcome carrying a key fingerprint exposes that key on its decided side. */
  record(o: Outcome): void {
    if (o.keyHash === undefined || o.kind !== 'route') return
    const r = this.#routes.get(o.name)
    if (r === undefined) return
    r.step.exposed[o.side].add(o.keyHash)
    r.rollout.exposed[o.side].add(o.keyHash)
  }

  hasGoal(route: string, goal: string): boolean {
    return this.#routes.get(route)?.goals.has(goal) === true
  }

  /**
   * One event of `goal` from the key with this fingerprint, whose live side is `side`: counted once
   * per key and tally (a repeated event is a 'duplicate', its value not added), and only where the
   * key was exposed on that side ('ignored' when neither tally saw it there). The answer is the
   * step's, or the rollout's when the step never saw the key. Call only for a goal that hasGoal confirmed.
   */
  convert(route: string, goal: string, keyHash: number, side: Side, value: number): ConversionResult {
    const r = this.#routes.get(route)
    const g = r?.goals.get(goal)
    if (r === undefined || g === undefined) return 'ignored'
    const inStep = convertIn(r.step, goal, keyHash, side, value)
    const inRollout = convertIn(r.rollout, goal, keyHash, side, value)
    const result = inStep === 'ignored' ? inRollout : inStep
    if (result !== 'ignored') g.events[side]++
    return result
  }

  /**
   * A batch from the application (admin API): each key's live side is the route's decision for that
   * key without an opt-in cookie or a group of its own key source (neither is known here).
   * Duplicates are accepted (and not counted again); keys not exposed on their side are ignored.
   */
  receive(route: string, goal: string, view: TargetView, events: readonly GoalEvent[]): { accepted: number; ignored: number } {
    let ignored = 0
    for (const e of events) {
      const side = decide(view, e.key, undefined, noRandom).side
      if (this.convert(route, goal, hashKey(view.hashPrefix, e.key), side, e.value) === 'ignored') ignored++
    }
    return { accepted: events.length - ignored, ignored }
  }

  /** Distinct keys served per side at this step; undefined for a route without goals. */
  exposedUsers(route: string): Record<Side, number> | undefined {
    const r = this.#routes.get(route)
    return r === undefined ? undefined : { old: r.step.exposed.old.size, new: r.step.exposed.new.size }
  }

  /** Every route with goals, for the metrics at scrape time. */
  series(): GoalSeries[] {
    return [...this.#routes].map(([route, r]) => ({
      route,
      exposed: { old: r.step.exposed.old.size, new: r.step.exposed.new.size },
      events: new Map([...r.goals].map(([name, g]) => [name, { ...g.events }])),
    }))
  }

  /** `ROUTE.goals` of the admin API (and what the analysis judges); undefined for a route without goals. */
  report(route: string, alpha: number): Record<string, RouteGoalReport> | undefined {
    const r = this.#routes.get(route)
    if (r === undefined) return undefined
    const out: Record<string, RouteGoalReport> = {}
    for (const [name, g] of r.goals) {
      const { better } = g.config
      out[name] = { ...reportOf(r.step, name, better, alpha), sinceRollout: reportOf(r.rollout, name, better, alpha) }
    }
    return out
  }

  /** The configured goals of a route (maxLoss for the analysis); empty for a route without goals. */
  goalsOf(route: string): readonly GoalConfig[] {
    return [...(this.#routes.get(route)?.goals.values() ?? [])].map((g) => g.config)
  }

  /** Bytes held by every fingerprint table (the README's memory figure). */
  get bytes(): number {
    let total = 0
    for (const r of this.#routes.values()) for (const t of [r.step, r.rollout]) {
      total += t.exposed.old.bytes + t.exposed.new.bytes
      for (const g of t.goals.values()) total += g.old.converted.bytes + g.new.converted.bytes
    }
    return total
  }
}

function convertIn(t: Tally, goal: string, keyHash: number, side: Side, value: number): ConversionResult {
  const s = t.goals.get(goal)?.[side]
  if (s === undefined || !t.exposed[side].has(keyHash)) return 'ignored'
  if (s.converted.has(keyHash)) return 'duplicate'
  if (!s.converted.add(keyHash)) return 'ignored' // the set is at its memory bound
  s.value += value
  return 'counted'
}

function reportOf(t: Tally, goal: string, better: GoalConfig['better'], alpha: number): GoalReport {
  const counts = (side: Side) => {
    const s = t.goals.get(goal)![side]
    return { users: t.exposed[side].size, converted: s.converted.size, value: s.value }
  }
  return goalReport(counts('old'), counts('new'), better, alpha)
}

/** A tally for these goals: `keep`'s sets where it has them, fresh ones for new goals (or without `keep`). */
function tally(goals: readonly string[], keep: Tally | undefined): Tally {
  const exposed = keep?.exposed ?? { old: new FingerprintSet(), new: new FingerprintSet() }
  return { exposed, goals: new Map(goals.map((g) => [g, keep?.goals.get(g) ?? { old: sideGoal(), new: sideGoal() }])) }
}

/** decide() draws a random number only for a request without a key; every event has one. */
function noRandom(): number {
  return 0
}

function sideGoal(): SideGoal {
  return { converted: new FingerprintSet(), value: 0 }
}
