import { Counter, Gauge, type Registry } from 'prom-client'
import { SIDES } from '../../config/types.js'
import type { GoalSeries } from '../goals.js'
import type { AnalysisSeries, JudgedSide } from './definitions.js'

/**
 * `sluice_goal_events_total{route,goal,backend}` and `sluice_exposed_users{route,backend}`, read
 * from the goal counts at scrape time: nothing is done per request or per event, every configured
 * route × goal × side is present (at 0) from the first scrape, and a route or goal removed by a
 * reload disappears with it.
 */
export function registerGoalMetrics(registry: Registry, source: () => readonly GoalSeries[]): void {
  const registers = [registry]
  new Counter({
    name: 'sluice_goal_events_total',
    help: 'Goal events attributed to the side that served the user (duplicates included; ignored events not counted)',
    labelNames: ['route', 'goal', 'backend'] as const,
    registers,
    collect() {
      this.reset()
      for (const s of source()) {
        for (const [goal, events] of s.events) {
          for (const backend of SIDES) this.inc({ route: s.route, goal, backend }, events[backend])
        }
      }
    },
  })
  new Gauge({
    name: 'sluice_exposed_users',
    help: 'Distinct sticky keys served by each side of a route with goals, since its percent last changed',
    labelNames: ['route', 'backend'] as const,
    registers,
    collect() {
      this.reset()
      for (const s of source()) for (const backend of SIDES) this.set({ route: s.route, backend }, s.exposed[backend])
    },
  })
}

/**
 * What the analysis judged in the last window of each target with a rollout analysis, fleet-wide
 * (from the live state, so every replica exports the leader's verdict), and its configured limits:
 * Grafana draws them without recomputing anything. Read at scrape time; a target without a judged
 * window yet has its limits only.
 */
export function registerAnalysisMetrics(registry: Registry, source: () => readonly AnalysisSeries[]): void {
  const registers = [registry]
  const judged = (name: string, help: string, value: (s: JudgedSide) => number | null) => new Gauge({
    name, help, labelNames: ['kind', 'name', 'backend'] as const, registers,
    collect() {
      this.reset()
      for (const a of source()) {
        if (a.judged === undefined) continue
        for (const backend of SIDES) {
          const v = value(a.judged[backend])
          if (v !== null) this.set({ kind: a.ref.kind, name: a.ref.name, backend }, v)
        }
      }
    },
  })
  judged('sluice_analysis_requests', 'Requests (or jobs) of each side in the last window the rollout analysis judged', (s) => s.requests)
  judged('sluice_analysis_error_rate', 'Error rate (0-1) of each side in the last window the rollout analysis judged', (s) => s.errorRate)
  judged('sluice_analysis_p99_seconds', '99th percentile latency of each side in the last window the rollout analysis judged', (s) => s.p99Ms === null ? null : s.p99Ms / 1000)
  new Gauge({
    name: 'sluice_rollout_step_interval_seconds',
    help: 'The configured time between rollout steps (with the step start, the "rollout stalled" alert needs it)',
    labelNames: ['kind', 'name'] as const,
    registers,
    collect() {
      this.reset()
      for (const a of source()) this.set({ kind: a.ref.kind, name: a.ref.name }, a.intervalSeconds)
    },
  })
  new Gauge({
    name: 'sluice_rollout_step_start_timestamp_seconds',
    help: 'Unix time the current rollout step began',
    labelNames: ['kind', 'name'] as const,
    registers,
    collect() {
      this.reset()
      for (const a of source()) {
        if (a.stepSinceSeconds !== undefined) this.set({ kind: a.ref.kind, name: a.ref.name }, a.stepSinceSeconds)
      }
    },
  })
  new Gauge({
    name: 'sluice_analysis_limit',
    help: 'Configured rollout analysis limits by check: error_rate (0-1), error_rate_vs_old (factor), p99 (seconds), p99_vs_old (factor)',
    labelNames: ['kind', 'name', 'check'] as const,
    registers,
    collect() {
      this.reset()
      for (const a of source()) {
        for (const [check, v] of Object.entries(a.limits)) this.set({ kind: a.ref.kind, name: a.ref.name, check }, v)
      }
    },
  })
}
