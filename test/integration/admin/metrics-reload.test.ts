import { afterEach, describe, expect, it } from 'vitest'
import type { Outcome } from '../../../src/observe/events.js'
import { call, parseMetrics, routeConfig, startAdmin, valueOf, type AdminHarness } from '../../helpers/admin.js'

const hit: Outcome = { kind: 'route', name: 'checkout', side: 'new', reason: 'bucket', servedBy: 'new', status: 200, error: undefined, fellBack: false, durationMs: 5 }
const analysis = {
  windowMs: 60_000, minRequests: 100, maxErrorRate: undefined, maxP99Ms: 750,
  maxErrorRateVsOld: undefined, maxP99VsOld: undefined, failureLimit: 2, alpha: 0.05,
}

describe('Recorder.setTargets on reload', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('removes series of removed routes, initialises new ones, keeps counts of the others', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout'), routeConfig('old-shop')] })
    admin.recorder.outcome(hit)
    admin.recorder.outcome({ ...hit, name: 'old-shop', status: 404 })

    admin.recorder.setTargets([routeConfig('checkout'), routeConfig('search')], [])
    const s = parseMetrics((await call(admin.base, 'GET', '/metrics')).text)

    expect(s.filter((x) => x.labels['route'] === 'old-shop' || x.labels['name'] === 'old-shop')).toEqual([])
    expect(valueOf(s, 'sluice_requests_total', { route: 'search', backend: 'new', code: '200' })).toBe(0)
    expect(valueOf(s, 'sluice_percent', { kind: 'route', name: 'search' })).toBe(0)
    expect(valueOf(s, 'sluice_requests_total', { route: 'checkout', backend: 'new', code: '200' })).toBe(1)
    expect(valueOf(s, 'sluice_request_duration_seconds_count', { route: 'checkout', backend: 'new' })).toBe(1)
  })

  it('adds a new maxP99Ms as a bucket bound, and outcomes keep being recorded', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout')] })

    admin.recorder.setTargets([routeConfig('checkout', { rollout: { stepsBp: [100], intervalMs: 1000, schedule: undefined, analysis } })], [])
    admin.recorder.outcome(hit)
    const s = parseMetrics((await call(admin.base, 'GET', '/metrics')).text)

    expect(valueOf(s, 'sluice_request_duration_seconds_bucket', { route: 'checkout', backend: 'new', le: '0.75' })).toBe(1)
    expect(valueOf(s, 'sluice_request_duration_seconds_bucket', { route: 'checkout', backend: 'old', le: '0.75' })).toBe(0)
    expect(valueOf(s, 'sluice_request_duration_seconds_count', { route: 'checkout', backend: 'new' })).toBe(1)
  })
})
