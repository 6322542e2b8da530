import type { Logger } from 'pino'
import type { GoalCounter, PendingRecords } from '../observe/goals.js'
import type { GoalChunk, GoalLog } from '../state/goal-log.js'
import { HISTORY_LIMIT, type HistoryEvent, type StateStore } from '../state/store.js'
import type { Clock, Timer } from '../util/clock.js'

/** How often each replica flushes its goal counts to the fleet and replays the others'. */
export const GOAL_SYNC_MS = 1000
/** Records replayed between two yields to the event loop (about 5 ms of work). */
const REPLAY_BITE = 10_000

/** Which counts a route's figures are since, as every replica can tell from the shared history. */
export interface GoalEpoch {
  /** The percent these started under. */
  readonly percentBp: number
  /** When the percent last changed (epoch ms; 0 = never: since start). */
  readonly stepStart: number
  /** When the percent last rose from 0 (0 = never). */
  readonly rolloutStart: number
}

/**
 * The step and rollout a route is in, from its history (oldest first): the newest event that
 * changed the percent began the step, the newest that raised it from 0 began the rollout. Every
 * replica reads the same history, so every replica agrees on both, and so on which log to replay.
 */
export function goalEpoch(events: readonly HistoryEvent[], percentBp: number): GoalEpoch {
  let step: HistoryEvent | undefined
  let rollout: HistoryEvent | undefined
  for (let i = events.length - 1; i >= 0 && rollout === undefined; i--) {
    const e = events[i]!
    if (e.from.percentBp === e.to.percentBp) continue
    step ??= e
    if (e.from.percentBp === 0 && e.to.percentBp > 0) rollout = e
  }
  return { percentBp: step?.to.percentBp ?? percentBp, stepStart: step?.at ?? 0, rolloutStart: rollout?.at ?? 0 }
}

interface RouteSync {
  readonly epoch: GoalEpoch
  /** The next chunk of the rollout's log to replay. */
  cursor: number
}

/**
 * Several replicas: every GOAL_SYNC_MS, for each route with goals, write what this replica counted
 * to the fleet's goal log and replay what the fleet wrote since (state/goal-log.ts), so that every
 * replica's goal figures, and the leader's judgement of them, are the fleet's. Runs beside the
 * request path, never on it. While the store is unreachable a pass fails and the next one retries;
 * records that could not be written are kept (up to 2,000,000) and written on a later pass.
 */
export class GoalSync {
  readonly #routes = new Map<string, RouteSync>()
  #timer: Timer | undefined
  #busy = false

  constructor(
    private readonly deps: { counter: GoalCounter; log: GoalLog; store: StateStore; clock: Clock; logger: Logger },
  ) {}

  start(): void {
    this.#timer ??= this.deps.clock.every(GOAL_SYNC_MS, () => { void this.syncAll() })
  }

  stop(): void {
    this.#timer?.stop()
    this.#timer = undefined
  }

  /** One pass over every route with goals; overlapping passes are skipped. */
  async syncAll(): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    try {
      const routes = this.deps.counter.routes()
      for (const name of [...this.#routes.keys()]) if (!routes.includes(name)) this.#routes.delete(name)
      for (const route of routes) {
        try {
          await this.#sync(route)
        } catch (err) {
          this.deps.logger.debug({ err, route }, 'goal counts not shared with the fleet this time; retrying')
        }
      }
    } finally {
      this.#busy = false
    }
  }

  async #sync(route: string): Promise<void> {
    const percentBp = this.deps.counter.percentOf(route)
    if (percentBp === undefined) return
    const records = this.deps.counter.drain(route)
    const written = new Set<PendingRecords>()
    try {
      await this.#flushAndReplay(route, percentBp, records, written)
    } catch (err) {
      // The store is unreachable: what was not written yet is kept for the next pass.
      this.deps.counter.putBack(route, records.filter((r) => !written.has(r)))
      throw err
    }
  }

  async #flushAndReplay(
    route: string, percentBp: number, records: readonly PendingRecords[], written: Set<PendingRecords>,
  ): Promise<void> {
    const { counter, log, store } = this.deps
    const known = this.#routes.get(route)
    // Records of the step this replica last knew go to that step, before looking for a newer one.
    if (known) {
      await this.#write(route, known.epoch, records.filter((r) => r.percentBp === known.epoch.percentBp), written)
    }
    let s = known
    if (s === undefined || s.epoch.percentBp !== percentBp) {
      const epoch = goalEpoch(await store.history({ kind: 'route', name: route }, HISTORY_LIMIT), percentBp)
      if (s === undefined || s.epoch.stepStart !== epoch.stepStart || s.epoch.rolloutStart !== epoch.rolloutStart) {
        // A step (or rollout) began: its counts are in the log from the start; replay them all.
        counter.restart(route, s === undefined || s.epoch.rolloutStart !== epoch.rolloutStart)
        s = { epoch, cursor: 0 }
      } else {
        s = { epoch, cursor: s.cursor }
      }
      this.#routes.set(route, s)
      const step = s.epoch
      // Records taken under another percent than the fleet's steps are from a step that is over: dropped.
      if (known?.epoch.percentBp !== step.percentBp) {
        await this.#write(route, step, records.filter((r) => r.percentBp === step.percentBp), written)
      }
    }
    for (;;) {
      const { chunks, next } = await log.read(route, s.epoch.rolloutStart, s.cursor)
      if (next === s.cursor) break
      // A long log (a restart, a new step) is replayed in bites of about REPLAY_BITE records,
      // letting requests through between them.
      for (let i = 0; i < chunks.length;) {
        const bite: GoalChunk[] = []
        for (let records = 0; i < chunks.length && records < REPLAY_BITE; i++) {
          bite.push(chunks[i]!)
          records += chunks[i]!.exposed.old.length + chunks[i]!.exposed.new.length + chunks[i]!.conversions.length
        }
        counter.replay(route, bite, s.epoch.stepStart, this.deps.clock.now())
        if (i < chunks.length) await new Promise((resolve) => setImmediate(resolve))
      }
      s.cursor = next
    }
  }

  async #write(
    route: string, epoch: GoalEpoch, records: readonly PendingRecords[], written: Set<PendingRecords>,
  ): Promise<void> {
    for (const r of records) {
      const chunk = { stepStart: epoch.stepStart, exposed: r.exposed, conversions: r.conversions }
      await this.deps.log.append(route, epoch.rolloutStart, chunk)
      written.add(r)
    }
  }
}
