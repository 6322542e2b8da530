import { afterEach, describe, expect, it } from 'vitest'
import { call, parseMetrics, queueConfig, routeConfig, startAdmin, valueOf, type AdminHarness } from '../../helpers/admin.js'

const FAMILIES = {
  sluice_requests_total: 'counter',
  sluice_request_duration_seconds: 'histogram',
  sluice_upstream_errors_total: 'counter',
  sluice_percent: 'gauge',
  sluice_rollout_state: 'gauge',
  sluice_rollbacks_total: 'counter',
  sluice_jobs_total: 'counter',
  sluice_job_route_duration_seconds: 'histogram',
  sluice_config_last_reload_successful: 'gauge',
  sluice_decisions_total: 'counter',
  sluice_flag_evaluations_total: 'counter',
  sluice_queue_backlog: 'gauge',
  sluice_state_store_up: 'gauge',
  sluice_leader: 'gauge',
  sluice_internal_errors_total: 'counter',
  sluice_metric_check_errors_total: 'counter',
  sluice_webhook_deliveries_total: 'counter',
  sluice_build_info: 'gauge',
  sluice_config_last_reload_success_timestamp_seconds: 'gauge',
  sluice_shadow_total: 'counter',
  sluice_shadow_duration_seconds: 'histogram',
}

const analysis = {
  windowMs: 60_000, minRequests: 100, maxErrorRate: 0.01, maxP99Ms: 300,
  maxErrorRateVsOld: undefined, maxP99VsOld: undefined, failureLimit: 2, alpha: 0.05,
  metrics: [{ name: 'app-errors', query: 'x', max: 1, min: undefined, maxVsOld: undefined, minVsOld: undefined, prometheus: { url: 'http://127.0.0.1:9090', timeoutMs: 5000 } }] }

describe('/metrics at start-up', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('exports every documented family (README, Metrics) with the right type, and the default process metrics', async () => {
    admin = await startAdmin({ queues: [queueConfig('emails')] })

    const res = await call(admin.base, 'GET', '/metrics')

    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    for (const [name, type] of Object.entries(FAMILIES)) expect(res.text).toContain(`# TYPE ${name} ${type}\n`)
    expect(res.text).toMatch(/# HELP sluice_percent .*0-100/)
    expect(res.text).toContain('process_cpu_user_seconds_total')
    expect(valueOf(parseMetrics(res.text), 'sluice_build_info', { version: '0.0.0-test', node_version: process.version })).toBe(1)
  })

  it('pre-initialises every known label set at 0 (and the current state at 1)', async () => {
    admin = await startAdmin({
      routes: [routeConfig('checkout', { percentBp: 250, rollout: { stepsBp: [100], intervalMs: 1000, schedule: undefined, analysis } })],
      queues: [queueConfig('emails', { percentBp: 1000 })],
    })
    const s = parseMetrics((await call(admin.base, 'GET', '/metrics')).text)

    for (const backend of ['old', 'new']) {
      expect(valueOf(s, 'sluice_requests_total', { route: 'checkout', backend, code: '200' })).toBe(0)
      expect(valueOf(s, 'sluice_request_duration_seconds_count', { route: 'checkout', backend })).toBe(0)
      expect(valueOf(s, 'sluice_request_duration_seconds_bucket', { route: 'checkout', backend, le: '+Inf' })).toBe(0)
      for (const reason of ['connect', 'timeout', 'reset', 'protocol', 'tls']) {
        expect(valueOf(s, 'sluice_upstream_errors_total', { route: 'checkout', backend, reason })).toBe(0)
      }
      for (const reason of ['opt-out', 'opt-in', 'group', 'bucket', 'random']) {
        expect(valueOf(s, 'sluice_decisions_total', { route: 'checkout', backend, reason })).toBe(0)
      }
      expect(valueOf(s, 'sluice_flag_evaluations_total', { route: 'checkout', variant: backend })).toBe(0)
      for (const outcome of ['routed', 'failed']) expect(valueOf(s, 'sluice_jobs_total', { queue: 'emails', backend, outcome })).toBe(0)
      expect(valueOf(s, 'sluice_job_route_duration_seconds_count', { queue: 'emails', backend })).toBe(0)
    }
    // The route's maxP99Ms (300 ms) is a bucket bound, so "share under the SLO" is exact.
    expect(valueOf(s, 'sluice_request_duration_seconds_bucket', { route: 'checkout', backend: 'new', le: '0.3' })).toBe(0)
    // A target with a rollout block starts progressing; one without is manual.
    for (const [kind, name, percent, current] of [['route', 'checkout', 2.5, 'progressing'], ['queue', 'emails', 10, 'manual']] as const) {
      expect(valueOf(s, 'sluice_percent', { kind, name })).toBe(percent)
      for (const state of ['manual', 'progressing', 'waiting', 'paused', 'rolled_back', 'completed']) {
        expect(valueOf(s, 'sluice_rollout_state', { kind, name, state })).toBe(state === current ? 1 : 0)
      }
      for (const reason of ['error_rate', 'error_rate_vs_old', 'p99', 'p99_vs_old', 'mismatch_rate', 'goal', 'metric', 'manual']) {
        expect(valueOf(s, 'sluice_rollbacks_total', { kind, name, reason })).toBe(0)
      }
    }
    expect(valueOf(s, 'sluice_queue_backlog', { queue: 'emails' })).toBe(0)
    expect(valueOf(s, 'sluice_metric_check_errors_total', { route: 'checkout', check: 'app-errors' })).toBe(0)
    for (const name of ['sluice_config_last_reload_successful', 'sluice_state_store_up', 'sluice_leader']) expect(valueOf(s, name)).toBe(0)
    for (const source of ['uncaught_exception', 'unhandled_rejection']) expect(valueOf(s, 'sluice_internal_errors_total', { source })).toBe(0)
    for (const result of ['delivered', 'retried', 'failed']) expect(valueOf(s, 'sluice_webhook_deliveries_total', { result })).toBe(0)
  })
})
