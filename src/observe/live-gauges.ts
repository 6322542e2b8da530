import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { QueueConfig, RouteConfig } from '../config/types.js'
import type { RolloutState, TargetRef } from '../core/types.js'
import { refKey, type LiveSnapshot } from '../state/store.js'
import type { Recorder } from './metrics/recorder.js'

/** The configured routes and queues (a Config satisfies it). */
export interface GaugeTargets {
  readonly routes: readonly RouteConfig[]
  readonly queues: readonly QueueConfig[]
}

/** What sluice_percent and sluice_rollout_state say about one target. */
export interface LiveGauge {
  readonly ref: TargetRef
  readonly percentBp: number
  readonly state: RolloutState
}

/**
 * The gauge values of every configured target, from the live state alone. A target without live
 * state yet shows its file percent in `manual`, exactly as the admin API describes it.
 */
export function liveGauges(targets: GaugeTargets, snapshot: LiveSnapshot): LiveGauge[] {
  const out: LiveGauge[] = []
  const add = (ref: TargetRef, filePercentBp: number) => {
    const live = snapshot.targets.get(refKey(ref))
    out.push({ ref, percentBp: live?.percentBp ?? filePercentBp, state: live?.state ?? 'manual' })
  }
  for (const r of targets.routes) add({ kind: 'route', name: r.name }, r.percentBp)
  for (const q of targets.queues) add({ kind: 'queue', name: q.name }, q.percentBp)
  return out
}

/**
 * Set the live-state gauges from the store's snapshot. Called on every change the store reports,
 * local or from another replica, so every replica exports the fleet's state, not the last change it
 * made itself. Only configured targets: a removed one's series stay removed.
 */
export function recordLiveState(recorder: Recorder, targets: GaugeTargets, snapshot: LiveSnapshot): void {
  for (const g of liveGauges(targets, snapshot)) {
    recorder.percent(g.ref, g.percentBp)
    recorder.rolloutState(g.ref, g.state)
  }
}

/** Gauges set between two turns of the event loop by `recordLiveStateSliced`. */
const GAUGES_PER_SLICE = 1_000

/**
 * `recordLiveState` a slice at a time (after a reload that touched 10,000 targets), each slice from
 * the store's snapshot of that moment: a live change in between is never overwritten with older values.
 */
export async function recordLiveStateSliced(
  recorder: Recorder, targets: GaugeTargets, snapshot: () => LiveSnapshot,
): Promise<void> {
  const all = [...targets.routes.map((t) => ['route', t] as const), ...targets.queues.map((t) => ['queue', t] as const)]
  for (let start = 0; start < all.length; start += GAUGES_PER_SLICE) {
    if (start > 0) await yieldToLoop()
    const live = snapshot()
    for (const [kind, t] of all.slice(start, start + GAUGES_PER_SLICE)) {
      const ref: TargetRef = { kind, name: t.name }
      const state = live.targets.get(refKey(ref))
      recorder.percent(ref, state?.percentBp ?? t.percentBp)
      recorder.rolloutState(ref, state?.state ?? 'manual')
    }
  }
}
