import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { QueueConfig, RouteConfig } from '../config/types.js'
import type { RolloutState, TargetRef } from '../core/types.js'
import { refKey, type LiveSnapshot } from '../state/store.js'
import { TimeSlice } from '../util/time-slice.js'
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

/**
 * `recordLiveState` in time slices (after a reload that touched 10,000 targets), each slice from
 * the store's snapshot of that moment: a live change in between is never overwritten with older
 * values. It yields before its first slice too: its caller has just swapped the route table, one
 * long synchronous turn, and requests waiting since then go first.
 */
export async function recordLiveStateSliced(
  recorder: Recorder, targets: GaugeTargets, snapshot: () => LiveSnapshot,
): Promise<void> {
  await yieldToLoop()
  const slice = new TimeSlice()
  let live = snapshot()
  for (const [kind, list] of [['route', targets.routes], ['queue', targets.queues]] as const) {
    for (const t of list) {
      if (await slice.pass()) live = snapshot()
      const ref: TargetRef = { kind, name: t.name }
      const state = live.targets.get(refKey(ref))
      recorder.percent(ref, state?.percentBp ?? t.percentBp)
      recorder.rolloutState(ref, state?.state ?? 'manual')
    }
  }
}
