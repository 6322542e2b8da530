import type { AnalysisPolicy, QueueConfig, RouteConfig } from '../config/types.js'
import type { TargetRef } from '../core/types.js'
import { refKey, type LiveSnapshot } from '../state/store.js'
import type { GaugeTargets } from './live-gauges.js'
import type { AnalysisSeries } from './metrics/recorder.js'

/**
 * The sluice_analysis_* and sluice_rollout_* gauges' figures: for every target with a rollout, its
 * step interval and when its current step began, and with an analysis its last judged window (from
 * the live state, so every replica exports what the leader judged) and its limits.
 */
export function analysisSeries(targets: GaugeTargets, snapshot: LiveSnapshot): AnalysisSeries[] {
  const out: AnalysisSeries[] = []
  const add = (ref: TargetRef, cfg: RouteConfig | QueueConfig) => {
    const rollout = cfg.rollout
    if (rollout === undefined) return
    const policy = rollout.analysis
    const live = snapshot.targets.get(refKey(ref))
    const v = policy === undefined ? undefined : live?.lastVerdict
    // The verdict is stored JSON (a file, another replica's build): only well-formed figures are exported.
    const judged = v !== undefined && figures(v.old) && figures(v.new) ? { old: v.old, new: v.new } : undefined
    out.push({
      ref, judged, limits: policy === undefined ? {} : analysisLimits(policy),
      intervalSeconds: rollout.intervalMs / 1000,
      stepSinceSeconds: live?.stepSince === undefined ? undefined : live.stepSince / 1000,
    })
  }
  for (const r of targets.routes) add({ kind: 'route', name: r.name }, r)
  for (const q of targets.queues) add({ kind: 'queue', name: q.name }, q)
  return out
}

/** The `check` label values of sluice_analysis_limit (as sluice_rollbacks_total's reasons); p99 in seconds. */
export function analysisLimits(p: AnalysisPolicy): Record<string, number> {
  const out: Record<string, number> = {}
  if (p.maxErrorRate !== undefined) out['error_rate'] = p.maxErrorRate
  if (p.maxErrorRateVsOld !== undefined) out['error_rate_vs_old'] = p.maxErrorRateVsOld
  if (p.maxP99Ms !== undefined) out['p99'] = p.maxP99Ms / 1000
  if (p.maxP99VsOld !== undefined) out['p99_vs_old'] = p.maxP99VsOld
  return out
}

function figures(s: unknown): s is { requests: number; errorRate: number; p99Ms: number | null } {
  if (typeof s !== 'object' || s === null) return false
  const f = s as Record<string, unknown>
  return typeof f['requests'] === 'number' && typeof f['errorRate'] === 'number' && (f['p99Ms'] === null || typeof f['p99Ms'] === 'number')
}
