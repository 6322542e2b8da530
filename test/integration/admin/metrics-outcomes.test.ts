import { afterEach, describe, expect, it } from 'vitest'
import type { Outcome } from '../../../src/observe/events.js'
import { call, parseMetrics, queueConfig, startAdmin, valueOf, type AdminHarness } from '../../helpers/admin.js'

function outcome(over: Partial<Outcome>): Outcome {
  return { kind: 'route', name: 'checkout', side: 'new', reason: 'bucket', servedBy: 'new', status: 200, error: undefined, fellBack: false, durationMs: 12, ...over }
}

describe('Recorder.outcome through /metrics', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('counts requests by serving side and code, errors and decisions by decided side, 499 for a client gone', async () => {
    admin = await startAdmin({ queues: [queueConfig('emails')] })
    const r = admin.recorder
    r.outcome(outcome({}))
    r.outcome(outcome({ status: 503, durationMs: 2000 }))
    // new refused the connection, old answered: the error and the decision belong to new, the request to old.
    r.outcome(outcome({ servedBy: 'old', error: 'connect', fellBack: true }))
    r.outcome(outcome({ side: 'old', servedBy: 'old', reason: 'random', status: 0 }))
    r.outcome(outcome({ name: 'not-configured' }))
    r.outcome(outcome({ kind: 'queue', name: 'emails', servedBy: 'old' }))
    r.outcome(outcome({ kind: 'queue', name: 'emails', error: 'timeout' }))

    const s = parseMetrics((await call(admin.base, 'GET', '/metrics')).text)

    expect(valueOf(s, 'sluice_requests_total', { route: 'checkout', backend: 'new', code: '200' })).toBe(1)
    expect(valueOf(s, 'sluice_requests_total', { route: 'checkout', backend: 'new', code: '503' })).toBe(1)
    expect(valueOf(s, 'sluice_requests_total', { route: 'checkout', backend: 'old', code: '200' })).toBe(1)
    expect(valueOf(s, 'sluice_requests_total', { route: 'checkout', backend: 'old', code: '499' })).toBe(1)
    expect(valueOf(s, 'sluice_request_duration_seconds_count', { route: 'checkout', backend: 'new' })).toBe(2)
    expect(valueOf(s, 'sluice_request_duration_seconds_sum', { route: 'checkout', backend: 'new' })).toBeCloseTo(2.012)
    expect(valueOf(s, 'sluice_request_duration_seconds_bucket', { route: 'checkout', backend: 'new', le: '0.025' })).toBe(1)
    expect(valueOf(s, 'sluice_upstream_errors_total', { route: 'checkout', backend: 'new', reason: 'connect' })).toBe(1)
    expect(valueOf(s, 'sluice_upstream_errors_total', { route: 'checkout', backend: 'old', reason: 'connect' })).toBe(0)
    expect(valueOf(s, 'sluice_decisions_total', { route: 'checkout', backend: 'new', reason: 'bucket' })).toBe(3)
    expect(valueOf(s, 'sluice_decisions_total', { route: 'checkout', backend: 'old', reason: 'random' })).toBe(1)
    expect(s.some((x) => x.labels['route'] === 'not-configured')).toBe(false)
    expect(valueOf(s, 'sluice_jobs_total', { queue: 'emails', backend: 'old', outcome: 'routed' })).toBe(1)
    expect(valueOf(s, 'sluice_jobs_total', { queue: 'emails', backend: 'new', outcome: 'failed' })).toBe(1)
    expect(valueOf(s, 'sluice_job_route_duration_seconds_count', { queue: 'emails', backend: 'new' })).toBe(1)
  })

  it('sets the control gauges and counts rollbacks', async () => {
    admin = await startAdmin()
    const r = admin.recorder
    const ref = { kind: 'route', name: 'checkout' } as const
    r.rolloutState(ref, 'rolled_back')
    r.rollback(ref, 'p99')
    r.configReload(true, 1_700_000_000_000)
    r.configReload(false, 1_800_000_000_000)
    r.stateStoreUp(true)
    r.leader(true)

    const s = parseMetrics((await call(admin.base, 'GET', '/metrics')).text)

    expect(valueOf(s, 'sluice_rollout_state', { kind: 'route', name: 'checkout', state: 'rolled_back' })).toBe(1)
    expect(valueOf(s, 'sluice_rollout_state', { kind: 'route', name: 'checkout', state: 'manual' })).toBe(0)
    expect(valueOf(s, 'sluice_rollbacks_total', { kind: 'route', name: 'checkout', reason: 'p99' })).toBe(1)
    expect(valueOf(s, 'sluice_config_last_reload_successful')).toBe(0)
    expect(valueOf(s, 'sluice_config_last_reload_success_timestamp_seconds')).toBe(1_700_000_000)
    expect(valueOf(s, 'sluice_state_store_up')).toBe(1)
    expect(valueOf(s, 'sluice_leader')).toBe(1)
  })
})
