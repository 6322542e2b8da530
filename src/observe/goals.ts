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
 * users cost 8 MiB per side, bounded (util/fingerprint-set.ts).
 *
 * Counts run since the route's percent last changed (a rollout's step, a manual change): under
 * one split every user has one side. Counting across a change would bias the lift: a user served by
 * old at 5 % and moved to new at 10 % stays in old's exposed users while its conversions go to new.
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

interface RouteGoals {
  /** The percent these counts were taken under. */
  readonly percentBp: number
  readonly exposed: Record<Side, FingerprintSet>
  readonly goals: Map<string, GoalCounts>
}

interface GoalCounts {
  readonly config: GoalConfig
  readonly sides: Record<Side, SideGoal>
  /** Events attributed to each side, duplicates included (sluice_goal_events_total): never reset. */
  readonly events: Record<Side, number>
}

export class GoalCounter {
  #routes = new Map<string, RouteGoals>()

  /**
   * Call with every new config and live state. Counts stay for routes and goals that remain at the
   * same percent; they restart when the percent changed; removed routes and goals are dropped.
   */
  configure(routes: readonly RouteConfig[], views: ReadonlyMap<string, TargetView>): void {
    const next = new Map<string, RouteGoals>()
    for (const r of routes) {
      if (r.goals.length === 0) continue
      const percentBp = views.get(r.name)?.percentBp ?? r.percentBp
      const prev = this.#routes.get(r.name)
      const keep = prev?.percentBp === percentBp ? prev : undefined
      const goals = new Map(r.goals.map((g) => [g.name, goalCounts(g, keep?.goals.get(g.name), prev?.goals.get(g.name))]))
      next.set(r.name, { percentBp, exposed: keep?.exposed ?? { old: new FingerprintSet(), new: new FingerprintSet() }, goals })
    }
    this.#routes = next
  }

  /** The bus listener: a route outcome carrying a key fingerprint exposes that key on its decided side. */
  record(o: Outcome): void {
    if (o.keyHash === undefined || o.kind !== 'route') return
    this.#routes.get(o.name)?.exposed[o.side].add(o.keyHash)
  }

  hasGoal(route: string, goal: string): boolean {
    return this.#routes.get(route)?.goals.has(goal) === true
  }

  /**
   * One event of `goal` from the key with this fingerprint, whose live side is `side`: counted once
   * per key (a repeated event is a 'duplicate', its value not added), and only when the key was
   * exposed on that side ('ignored' otherwise). Call only for a goal that hasGoal confirmed.
   */
  convert(route: string, goal: string, keyHash: number, side: Side, value: number): ConversionResult {
    const r = this.#routes.get(route)
    const g = r?.goals.get(goal)
    if (r === undefined || g === undefined || !r.exposed[side].has(keyHash)) return 'ignored'
    const s = g.sides[side]
    g.events[side]++
    if (s.converted.has(keyHash)) return 'duplicate'
    if (!s.converted.add(keyHash)) return 'ignored' // the set is at its memory bound
    s.value += value
    return 'counted'
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

  /** Distinct keys served per side; undefined for a route without goals. */
  exposedUsers(route: string): Record<Side, number> | undefined {
    const r = this.#routes.get(route)
    return r === undefined ? undefined : { old: r.exposed.old.size, new: r.exposed.new.size }
  }

  /** Every route with goals, for the metrics at scrape time. */
  series(): GoalSeries[] {
    return [...this.#routes].map(([route, r]) => ({
      route,
      exposed: { old: r.exposed.old.size, new: r.exposed.new.size },
      events: new Map([...r.goals].map(([name, g]) => [name, { ...g.events }])),
    }))
  }

  /** `ROUTE.goals` of the admin API; undefined for a route without goals. */
  report(route: string, alpha: number): Record<string, GoalReport> | undefined {
    const r = this.#routes.get(route)
    if (r === undefined) return undefined
    const out: Record<string, GoalReport> = {}
    for (const [name, g] of r.goals) {
      const counts = (side: Side) => ({ users: r.exposed[side].size, converted: g.sides[side].converted.size, value: g.sides[side].value })
      out[name] = goalReport(counts('old'), counts('new'), g.config.better, alpha)
    }
    return out
  }
}

/** decide() draws a random number only for a request without a key; every event has one. */
function noRandom(): number {
  return 0
}

/** A goal's counts: kept (`same`, same percent), or restarted keeping only the event totals. */
function goalCounts(config: GoalConfig, same: GoalCounts | undefined, before: GoalCounts | undefined): GoalCounts {
  const sides = same?.sides ?? { old: sideGoal(), new: sideGoal() }
  return { config, sides, events: before?.events ?? { old: 0, new: 0 } }
}

function sideGoal(): SideGoal {
  return { converted: new FingerprintSet(), value: 0 }
}
