import type { GoalConfig, RouteConfig, Side } from '../config/types.js'
import { hashKey } from '../core/bucket.js'
import { decide } from '../core/decide.js'
import { goalReport, type GoalReport } from '../core/goals.js'
import type { TargetView } from '../core/types.js'
import { FingerprintSet } from '../util/fingerprint-set.js'
import type { GoalChunk, LoggedConversion } from '../state/goal-log.js'
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
 *
 * Several replicas (`state.store: redis`, after `shareWithFleet()`): what this process counts is
 * also buffered for the fleet's goal log (state/goal-log.ts), and the fleet's chunks are replayed
 * into the same sets (`replay`), so the sets hold the whole fleet's users. A replayed event whose
 * key's exposure has not arrived yet waits up to REPLAY_WAIT_MS for it (replicas flush on their own
 * clocks). control/goal-sync.ts drives this, off the request path.
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

/** One route's figures for the metrics (registerGoalMetrics in observe/metrics/scrape-families.ts). */
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
  step: Tally
  rollout: Tally
  readonly goals: Map<string, GoalState>
  /** Counted here since the last flush to the fleet (only after shareWithFleet), at `percentBp`. */
  pending: Pending
  /** Records of earlier percents not flushed yet (the percent changed since the last drain). */
  stale: PendingRecords[]
  /** Replayed events whose key's exposure has not been replayed yet. */
  waiting: Waiting[]
}

interface Pending {
  readonly exposed: Record<Side, number[]>
  readonly conversions: LoggedConversion[]
}

interface Waiting {
  readonly event: LoggedConversion
  readonly inStep: boolean
  readonly until: number
}

/**
 * What this process counted at one percent since its last flush (control/goal-sync.ts writes it to the
 * fleet's log).
 */
export interface PendingRecords {
  readonly percentBp: number
  readonly exposed: Record<Side, readonly number[]>
  readonly conversions: readonly LoggedConversion[]
}

/** How long a replayed goal event waits for its key's exposure from another replica's flush. */
export const REPLAY_WAIT_MS = 30_000
/** Events of keys never exposed (a typo, a bot) must not pile up: beyond this many, they are dropped at once. */
const MAX_WAITING = 100_000
/** Unflushed records of this many earlier percents are kept (percents rarely change twice in a second). */
const MAX_STALE = 4
/** Records kept for the fleet while the store is unreachable (4 to 14 bytes each in the log, ~8 here). */
const MAX_UNWRITTEN = 2_000_000

interface GoalState {
  readonly config: GoalConfig
  /** Events attributed to each side, duplicates included (sluice_goal_events_total): never reset. */
  readonly events: Record<Side, number>
}

/** ROUTE.goals[NAME]: the step's figures (as README "Judging business outcomes" shows them) and the rollout's. */
export type RouteGoalReport = GoalReport & { readonly sinceRollout: GoalReport }

export class GoalCounter {
  #routes = new Map<string, RouteGoals>()
  #fleet = false

  /** From now on, buffer what is counted here for the fleet's goal log (see `drain`). */
  shareWithFleet(): void {
    this.#fleet = true
  }

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
      const goals = new Map(r.goals.map((g) => [
        g.name, { config: g, events: prev?.goals.get(g.name)?.events ?? { old: 0, new: 0 } },
      ]))
      // A changed percent: what the old step counted and did not flush yet still goes to the fleet, as the old step's.
      const stale = prev === undefined || step !== undefined
        ? prev?.stale ?? []
        : [...prev.stale, { percentBp: prev.percentBp, ...prev.pending }].slice(-MAX_STALE)
      const pending = step !== undefined ? prev!.pending : noPending()
      next.set(r.name, {
        percentBp, step: tally(names, step), rollout: tally(names, rollout), goals, pending, stale,
        waiting: prev?.waiting ?? [],
      })
    }
    this.#routes = next
  }

  /** The bus listener: a route outcome carrying a key fingerprint exposes that key on its decided side. */
  record(o: Outcome): void {
    if (o.keyHash === undefined || o.kind !== 'route') return
    const r = this.#routes.get(o.name)
    if (r === undefined) return
    // New to the step is new to the rollout too (the step's tally restarts more often).
    if (r.step.exposed[o.side].add(o.keyHash) && this.#fleet) r.pending.exposed[o.side].push(o.keyHash)
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
    // The fleet may know an exposure this process has not seen: the log decides for every replica.
    if (this.#fleet && result !== 'duplicate') r.pending.conversions.push({ goal, side, keyHash, value })
    return result
  }

  /** The percent a route's step tally is taken under; undefined for a route without goals. */
  percentOf(route: string): number | undefined {
    return this.#routes.get(route)?.percentBp
  }

  /** Routes with goals. */
  routes(): string[] {
    return [...this.#routes.keys()]
  }

  /** Hand over (and forget) what was counted here since the last drain: earlier percents' records first. */
  drain(route: string): PendingRecords[] {
    const r = this.#routes.get(route)
    if (r === undefined) return []
    const out = [...r.stale, { percentBp: r.percentBp, ...r.pending }]
    r.pending = noPending()
    r.stale = []
    return out.filter((p) => recordCount(p) > 0)
  }

  /**
   * Records that could not be written (the store is unreachable): handed over again by the next
   * drain, before newer ones. Up to MAX_UNWRITTEN records are kept; past that, an outage's records
   * stay counted here but never reach the fleet.
   */
  putBack(route: string, records: readonly PendingRecords[]): void {
    const r = this.#routes.get(route)
    if (r === undefined) return
    let room = MAX_UNWRITTEN - r.stale.reduce((n, p) => n + recordCount(p), 0)
    const kept = records.filter((p) => (room -= recordCount(p)) >= 0)
    r.stale = [...kept, ...r.stale]
  }

  /**
   * Forget the step's tally (and the rollout's): a step (or rollout) the fleet agrees on began; its log
   * is replayed next.
   */
  restart(route: string, rollout: boolean): void {
    const r = this.#routes.get(route)
    if (r === undefined) return
    const names = [...r.goals.keys()]
    r.step = tally(names, undefined)
    if (rollout) r.rollout = tally(names, undefined)
    r.waiting = []
  }

  /**
   * Add the fleet's chunks (in log order) to the sets: every exposure to the rollout's tally, and to
   * the step's when the chunk was taken at the step that began at `stepStart`. Duplicates change
   * nothing (sets), so replaying this process's own chunks, or a chunk twice, is harmless.
   */
  replay(route: string, chunks: readonly GoalChunk[], stepStart: number, now: number): void {
    const r = this.#routes.get(route)
    if (r === undefined) return
    for (const c of chunks) {
      const inStep = c.stepStart === stepStart
      for (const side of SIDES) for (const f of c.exposed[side]) {
        r.rollout.exposed[side].add(f)
        if (inStep) r.step.exposed[side].add(f)
      }
      for (const e of c.conversions) {
        if (!applied(r, e, inStep) && r.waiting.length < MAX_WAITING) {
          r.waiting.push({ event: e, inStep, until: now + REPLAY_WAIT_MS })
        }
      }
    }
    r.waiting = r.waiting.filter((w) => !applied(r, w.event, w.inStep) && w.until > now)
  }

  /**
   * A batch from the application (admin API): each key's live side is the route's decision for that
   * key without an opt-in cookie or a group of its own key source (neither is known here).
   * Duplicates are accepted (and not counted again); keys not exposed on their side are ignored.
   */
  receive(
    route: string, goal: string, view: TargetView, events: readonly GoalEvent[],
  ): { accepted: number; ignored: number } {
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

const SIDES: readonly Side[] = ['old', 'new']

/** A replayed event counted where its key was exposed; false while the rollout's tally has not seen the key there. */
function applied(r: RouteGoals, e: LoggedConversion, inStep: boolean): boolean {
  if (!r.goals.has(e.goal)) return true // a goal since removed: nothing to wait for
  const rollout = convertIn(r.rollout, e.goal, e.keyHash, e.side, e.value)
  const step = inStep ? convertIn(r.step, e.goal, e.keyHash, e.side, e.value) : 'counted'
  return rollout !== 'ignored' && step !== 'ignored'
}

function recordCount(p: PendingRecords): number {
  return p.exposed.old.length + p.exposed.new.length + p.conversions.length
}

function noPending(): Pending {
  return { exposed: { old: [], new: [] }, conversions: [] }
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
