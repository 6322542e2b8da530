import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy } from '../../../src/config/types.js'
import { describeTarget } from '../../../src/control/status.js'
import { accumulate, freshEvidence, observe, type SideWindow } from '../../../src/core/analysis.js'
import { queueConfig, routeConfig } from '../../helpers/admin.js'

const rollout = { stepsBp: [100, 500, 1000], intervalMs: 600_000, schedule: undefined, analysis: undefined }

describe('describeTarget', () => {
  it('gives the README ROUTE shape with percents (not basis points) and live values', () => {
    const cfg = routeConfig('checkout', {
      percentBp: 0, rollout, old: ['http://user:pw@10.0.0.1:3000'],
      groups: [{ name: 'beta', backend: 'new', key: undefined, users: ['a', 'b'], usersFile: undefined }],
    })
    const json = describeTarget('route', cfg, { percentBp: 733, state: 'progressing', step: 1, filePercentBp: 0, updatedAt: Date.UTC(2026, 4, 4), version: 3 })

    expect(json).toMatchObject({
      name: 'checkout', kind: 'route', percent: 7.33, state: 'progressing', step: 1, steps: [1, 5, 10],
      nextStepAt: null, windowOpen: null, groups: { beta: 2 }, lastVerdict: null,
      updatedAt: '2026-05-04T00:00:00.000Z', old: ['http://10.0.0.1:3000'],
    })
    expect(JSON.stringify(json)).not.toContain('pw')
  })

  it('shows a queue without its endpoint URLs (they may hold passwords)', () => {
    const json = describeTarget('queue', queueConfig('emails', { percentBp: 1000 }), undefined)

    expect(json).toMatchObject({ name: 'emails', kind: 'queue', percent: 10, state: 'manual', step: -1, steps: [], source: { type: 'redis-list' } })
    expect(JSON.stringify(json)).not.toContain('secret')
  })

  it('ROUTE.analysis: the step counts, each check\'s M against its bar, the verdict and what is missing', () => {
    const analysis: AnalysisPolicy = {
      windowMs: 60_000, minRequests: 1000, failureLimit: 2, alpha: 0.05,
      maxErrorRate: 0.05, maxP99Ms: undefined, maxErrorRateVsOld: 2, maxP99VsOld: undefined,
    }
    const side = (requests: number, errors: number): SideWindow =>
      ({ requests, errors, timed: requests, p99Ms: 20, slowerThan: () => 0 })
    const evidence = accumulate(analysis, freshEvidence(analysis, 1), observe(analysis, side(9000, 9), side(312, 1)))
    const cfg = routeConfig('checkout', { rollout: { ...rollout, analysis } })
    const json = describeTarget('route', cfg, { percentBp: 500, state: 'progressing', step: 1, filePercentBp: 0, updatedAt: 0, version: 3, evidence })

    expect(json.analysis).toEqual({
      step: { old: { requests: 9000, errors: 9, slow: 0 }, new: { requests: 312, errors: 1, slow: 0 } },
      evidence: {
        maxErrorRate: { m: expect.any(Number), bar: 40 }, maxErrorRateVsOld: { m: expect.any(Number), bar: 40 },
      },
      verdict: 'inconclusive',
      missing: '312 of 1,000 new-side requests at this step',
    })
    expect(json.analysis!.evidence.maxErrorRate!.m).toBeLessThan(1)
    expect(describeTarget('route', routeConfig('checkout', { rollout }), undefined).analysis).toBeUndefined()
  })

  it('ROUTE.analysis and lastVerdict show the metric checks of the latest window (from live state, so on every replica)', () => {
    const analysis: AnalysisPolicy = {
      windowMs: 60_000, minRequests: 10, failureLimit: 2, alpha: 0.05,
      maxErrorRate: 0.05, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined,
    }
    const side = (requests: number): SideWindow =>
      ({ requests, errors: 0, timed: requests, p99Ms: 20, slowerThan: () => 0 })
    const metric = { kind: 'metric' as const, name: 'app-errors', outcome: 'inconclusive' as const, summary: 'app-errors: no data for new', figures: { value: null, old: 0.01, max: 0.02 } }
    const window = { ...observe(analysis, side(900), side(100)), outside: [metric] }
    const evidence = accumulate(analysis, freshEvidence(analysis, 1), window)
    const cfg = routeConfig('checkout', { rollout: { ...rollout, analysis } })
    const verdict = { kind: 'inconclusive' as const, failed: [], outside: [metric], old: { requests: 900, errors: 0, errorRate: 0, p99Ms: 20, slow: 0 }, new: { requests: 100, errors: 0, errorRate: 0, p99Ms: 20, slow: 0 }, checks: [], step: evidence.tally, missing: metric.summary, at: 0 }
    const json = describeTarget('route', cfg, { percentBp: 500, state: 'progressing', step: 1, filePercentBp: 0, updatedAt: 0, version: 3, evidence }, undefined, { nextStepAt: null, windowOpen: null, lastVerdict: verdict })

    expect(json.analysis).toMatchObject({
      evidence: { 'metric:app-errors': { outcome: 'inconclusive', summary: 'app-errors: no data for new', value: null, old: 0.01, max: 0.02 } },
      verdict: 'inconclusive',
      missing: 'app-errors: no data for new',
    })
    expect(json.lastVerdict).toMatchObject({ kind: 'inconclusive', outside: [metric] })
  })
})
