import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy, MetricCheckConfig } from '../../../src/config/types.js'
import { createRecorder } from '../../../src/observe/metrics/recorder.js'
import { parseMetrics, queueConfig, routeConfig, valueOf } from '../../helpers/admin.js'

const check = (name: string): MetricCheckConfig => ({
  name, query: 'x', max: 1, min: undefined, maxVsOld: undefined, minVsOld: undefined, prometheus: { url: 'http://127.0.0.1:9090', timeoutMs: 5000 },
})
const rollout = (metrics: MetricCheckConfig[]) => {
  const analysis: AnalysisPolicy = {
    windowMs: 1000, minRequests: 1, failureLimit: 1, alpha: 0.05,
    maxErrorRate: undefined, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined, metrics,
  }
  return { stepsBp: [10_000], intervalMs: 1000, schedule: undefined, analysis }
}

describe('sluice_metric_check_errors_total', () => {
  it('has a series at 0 per configured check (routes and queues), counts errors, and drops checks a reload removed', async () => {
    const r = createRecorder()
    r.setTargets([routeConfig('checkout', { rollout: rollout([check('app-errors'), check('orders')]) })], [queueConfig('mail', { rollout: rollout([check('failed-jobs')]) })])
    let s = parseMetrics(await r.render())
    expect(valueOf(s, 'sluice_metric_check_errors_total', { route: 'checkout', check: 'app-errors' })).toBe(0)
    expect(valueOf(s, 'sluice_metric_check_errors_total', { route: 'checkout', check: 'orders' })).toBe(0)
    expect(valueOf(s, 'sluice_metric_check_errors_total', { route: 'mail', check: 'failed-jobs' })).toBe(0)

    r.metricCheckError('checkout', 'app-errors')
    r.metricCheckError('checkout', 'app-errors')
    r.metricCheckError('checkout', 'unknown') // not configured: ignored
    r.setTargets([routeConfig('checkout', { rollout: rollout([check('app-errors')]) })], [])
    s = parseMetrics(await r.render())
    expect(valueOf(s, 'sluice_metric_check_errors_total', { route: 'checkout', check: 'app-errors' })).toBe(2)
    expect(valueOf(s, 'sluice_metric_check_errors_total', { route: 'checkout', check: 'orders' })).toBeUndefined()
    expect(valueOf(s, 'sluice_metric_check_errors_total', { route: 'mail', check: 'failed-jobs' })).toBeUndefined()
    expect(valueOf(s, 'sluice_metric_check_errors_total', { route: 'checkout', check: 'unknown' })).toBeUndefined()
  })
})
