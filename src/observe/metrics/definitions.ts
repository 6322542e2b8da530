import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Kind, Side, TargetRef } from '../../core/types.js'

/** Proxy latency buckets in seconds: fine below 5 ms (proxy overhead), up to 60 s (slow backends, long uploads). */
export const REQUEST_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]
/** A shadow call's time: new's answer, read to its end (or to maxBodyBytes). */
const SHADOW_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
/** Routing a job is a publish to a broker: much faster than a proxied request. */
export const JOB_BUCKETS_S: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]
export const ROLLBACK_REASONS = ['error_rate', 'error_rate_vs_old', 'p99', 'p99_vs_old', 'mismatch_rate', 'goal', 'metric', 'manual'] as const
export const JOB_OUTCOMES = ['routed', 'failed'] as const
/** Where an unhandled fault surfaced: a thrown exception nothing caught, or a rejected promise nobody awaited. */
export const INTERNAL_ERROR_SOURCES = ['uncaught_exception', 'unhandled_rejection'] as const
export type InternalErrorSource = (typeof INTERNAL_ERROR_SOURCES)[number]
export const WEBHOOK_DELIVERY_RESULTS = ['delivered', 'retried', 'failed'] as const
export type WebhookDeliveryResult = (typeof WEBHOOK_DELIVERY_RESULTS)[number]
/** nginx's "client closed request": the client went away before a response was sent (Outcome.status 0). */
export const CLIENT_CLOSED_CODE = '499'

/** One side's cumulative figures since start (or since its histogram was recreated). */
export interface SideTotals {
  /** Requests served (routes) or jobs handed over (queues). */
  requests: number
  /** Routes: 5xx answers and 499 (client gone), as analysis counts them; queues: failed jobs. */
  errors: number
  /** Cumulative latency counts per bucket, `bounds` (seconds, ascending) then +Inf last. */
  readonly buckets: number[]
  readonly bounds: readonly number[]
}

/** One target's cumulative figures per side. */
export interface TargetTotals {
  readonly old: SideTotals
  readonly new: SideTotals
}

/**
 * One target's cumulative figures, read when called (undefined for a target not configured): the
 * dashboard's time series call it once per target, spread over several turns of the event loop.
 * Answers `previous` itself when the figures did not change since it was read (an idle target).
 */
export type TotalsReader = (kind: Kind, name: string, previous?: TargetTotals) => TargetTotals | undefined

/** One side's figures in the window last judged. */
export interface JudgedSide {
  readonly requests: number
  readonly errorRate: number
  readonly p99Ms: number | null
}

/** The last judged window of one target and its configured limits (sluice_analysis_* gauges). */
export interface AnalysisSeries {
  readonly ref: TargetRef
  /** undefined until a window was judged. */
  readonly judged: Readonly<Record<Side, JudgedSide>> | undefined
  /**
   * Check label (error_rate, error_rate_vs_old, p99, p99_vs_old) → limit; p99 in seconds; empty
   * without an analysis.
   */
  readonly limits: Readonly<Record<string, number>>
  /** The rollout's step interval, and (once a step began) when the current one did, in Unix seconds. */
  readonly intervalSeconds: number
  readonly stepSinceSeconds: number | undefined
}

/**
 * Name, HELP and TYPE of a family whose series the recorder keeps as plain numbers (route-series.ts,
 * rollout-series.ts).
 */
export interface FamilyHeader {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
}

export const FAMILIES = {
  requests: { name: 'sluice_requests_total', type: 'counter', help: 'Client requests by route, the side that served them and the status sent (499: client went away first)' },
  upstreamErrors: { name: 'sluice_upstream_errors_total', type: 'counter', help: 'Transport failures of the decided side, by reason' },
  decisions: { name: 'sluice_decisions_total', type: 'counter', help: 'Routing decisions by route, chosen side and why' },
  flagEvaluations: { name: 'sluice_flag_evaluations_total', type: 'counter', help: 'OpenFeature (OFREP) evaluations of a route\'s flag on the admin plane, by the variant answered' },
  percent: { name: 'sluice_percent', type: 'gauge', help: 'Current share of traffic or jobs sent to the new side, in percent (0-100)' },
  state: { name: 'sluice_rollout_state', type: 'gauge', help: 'Rollout state of a route or queue: 1 for the current state, 0 for the others' },
  rollbacks: { name: 'sluice_rollbacks_total', type: 'counter', help: 'Rollbacks of a route or queue to the old side, by reason' },
  duration: { name: 'sluice_request_duration_seconds', type: 'histogram', help: 'Time from the first request byte to the last response byte, per route and the side that served it' },
} as const satisfies Record<string, FamilyHeader>

/** The prom-client metrics: families with few series (per process, per queue, per shadowed route, per metric check). */
export function defineMetrics(registry: Registry) {
  const registers = [registry]
  return {
    jobs: new Counter({ name: 'sluice_jobs_total', help: 'Queue jobs handed to a side, by outcome', labelNames: ['queue', 'backend', 'outcome'] as const, registers }),
    jobDuration: new Histogram({ name: 'sluice_job_route_duration_seconds', help: 'Time to route one job to its side', labelNames: ['queue', 'backend'] as const, buckets: [...JOB_BUCKETS_S], registers }),
    backlog: new Gauge({ name: 'sluice_queue_backlog', help: 'Jobs waiting in the source of a queue', labelNames: ['queue'] as const, registers }),
    reloadOk: new Gauge({ name: 'sluice_config_last_reload_successful', help: 'Whether the last configuration load or reload succeeded (1) or was refused (0)', registers }),
    reloadAt: new Gauge({ name: 'sluice_config_last_reload_success_timestamp_seconds', help: 'Unix time of the last successful configuration load or reload', registers }),
    storeUp: new Gauge({ name: 'sluice_state_store_up', help: 'Whether the state store answers (1) or not (0)', registers }),
    webhookDeliveries: new Counter({ name: 'sluice_webhook_deliveries_total', help: 'Webhook delivery attempts by result (delivered, retried, failed after all attempts)', labelNames: ['result'] as const, registers }),
    internalErrors: new Counter({ name: 'sluice_internal_errors_total', help: 'Faults nothing handled (bugs), logged with their stack; sluice kept serving', labelNames: ['source'] as const, registers }),
    metricCheckErrors: new Counter({ name: 'sluice_metric_check_errors_total', help: 'Analysis windows in which a Prometheus metric check had no value (no data, NaN, query error, Prometheus unreachable): judged inconclusive, never failed', labelNames: ['route', 'check'] as const, registers }),
    leader: new Gauge({ name: 'sluice_leader', help: 'Whether this replica runs the rollout controller (1) or not (0)', registers }),
    shadow: new Counter({ name: 'sluice_shadow_total', help: 'Shadow calls to the new side by result: match, mismatch (answer differs from old), error (new failed), skipped (over maxConcurrent or maxBodyBytes, or old unfinished)', labelNames: ['route', 'result'] as const, registers }),
    shadowDuration: new Histogram({ name: 'sluice_shadow_duration_seconds', help: "Time of a shadow call, until new's answer was read", labelNames: ['route'] as const, buckets: SHADOW_BUCKETS_S, registers }),
    buildInfo: new Gauge({ name: 'sluice_build_info', help: 'Build information; the value is always 1', labelNames: ['version', 'node_version'] as const, registers }),
  }
}
