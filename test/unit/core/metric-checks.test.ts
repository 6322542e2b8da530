import { describe, expect, it } from 'vitest'
import { judgeMetric, needsOld, renderQuery, sideValue, usesSide, type MetricLimits, type SideValue } from '../../../src/core/metric-checks.js'

const none: MetricLimits = { max: undefined, min: undefined, maxVsOld: undefined, minVsOld: undefined }
const limits = (over: Partial<MetricLimits>): MetricLimits => ({ ...none, ...over })
const v = (value: number): SideValue => ({ ok: true, value })
const missing = (why: string): SideValue => ({ ok: false, why })

describe('sideValue: one finite number or why not', () => {
  it('takes the single value of a vector or scalar', () => {
    expect(sideValue({ ok: true, values: [0.25] })).toEqual({ ok: true, value: 0.25 })
  })

  it('no series is "no data"; several series, NaN and ±Inf are named', () => {
    expect(sideValue({ ok: true, values: [] })).toEqual({ ok: false, why: 'no data' })
    expect(sideValue({ ok: true, values: [1, 2, 3] })).toMatchObject({ ok: false, why: expect.stringMatching(/^3 series/) })
    expect(sideValue({ ok: true, values: [Number.NaN] })).toEqual({ ok: false, why: 'NaN' })
    expect(sideValue({ ok: true, values: [Number.POSITIVE_INFINITY] })).toEqual({ ok: false, why: '+Inf' })
    expect(sideValue({ ok: true, values: [Number.NEGATIVE_INFINITY] })).toEqual({ ok: false, why: '-Inf' })
  })

  it('passes a query error through', () => {
    expect(sideValue({ ok: false, error: 'Prometheus unreachable (ECONNREFUSED)' })).toEqual({ ok: false, why: 'Prometheus unreachable (ECONNREFUSED)' })
  })
})

describe('judgeMetric', () => {
  it('fails when new is over max, naming the value and the limit', () => {
    const c = judgeMetric('app-errors', limits({ max: 0.02 }), { old: v(0.004), new: v(0.041) })
    expect(c).toMatchObject({ kind: 'metric', name: 'app-errors', outcome: 'fail', summary: 'app-errors 0.041 > max 0.02' })
    expect(c.figures).toEqual({
      value: 0.041, old: 0.004, ratio: 0.041 / 0.004, max: 0.02, min: null, maxVsOld: null, minVsOld: null,
    })
  })

  it('fails when new is under min', () => {
    expect(judgeMetric('orders', limits({ min: 10 }), { old: v(12), new: v(7) })).toMatchObject({ outcome: 'fail', summary: 'orders 7 < min 10' })
  })

  it('fails on a ratio to old over maxVsOld or under minVsOld', () => {
    expect(judgeMetric('app-errors', limits({ maxVsOld: 1.5 }), { old: v(0.01), new: v(0.023) }))
      .toMatchObject({ outcome: 'fail', summary: 'app-errors new 2.3× old > maxVsOld 1.5' })
    expect(judgeMetric('orders', limits({ minVsOld: 0.8 }), { old: v(10), new: v(4) }))
      .toMatchObject({ outcome: 'fail', summary: 'orders new 0.4× old < minVsOld 0.8' })
  })

  it('lists every broken limit', () => {
    const c = judgeMetric('app-errors', limits({ max: 0.02, maxVsOld: 1.5 }), { old: v(0.01), new: v(0.05) })
    expect(c.summary).toBe('app-errors 0.05 > max 0.02; app-errors new 5× old > maxVsOld 1.5')
  })

  it('passes within the limits, limits at their bound included', () => {
    expect(judgeMetric('app-errors', limits({ max: 0.02, maxVsOld: 1.5 }), { old: v(0.01), new: v(0.015) }))
      .toMatchObject({ outcome: 'pass', summary: 'app-errors 0.015 (max 0.02), 1.5× old (maxVsOld 1.5)' })
    expect(judgeMetric('app-errors', limits({ max: 0.02 }), { old: v(0), new: v(0.02) }).outcome).toBe('pass')
  })

  it('is inconclusive, never failed, when new has no value', () => {
    const c = judgeMetric('app-errors', limits({ max: 0.02 }), { old: v(0.01), new: missing('no data') })
    expect(c).toMatchObject({ outcome: 'inconclusive', summary: 'app-errors: no data for new' })
    expect(c.figures).toMatchObject({ value: null, old: 0.01, ratio: null })
  })

  it("needs old's value only for a relative limit", () => {
    expect(judgeMetric('app-errors', limits({ max: 0.02 }), { old: missing('NaN'), new: v(0.01) }).outcome).toBe('pass')
    expect(judgeMetric('app-errors', limits({ maxVsOld: 2 }), { old: missing('NaN'), new: v(0.01) }))
      .toMatchObject({ outcome: 'inconclusive', summary: 'app-errors: NaN for old' })
    // An absolute limit broken is a failure whatever old says.
    expect(judgeMetric('app-errors', limits({ max: 0.02, maxVsOld: 2 }), { old: missing('no data'), new: v(0.5) }).outcome).toBe('fail')
  })

  it('does not judge a ratio to an old value of 0 (or below): a ratio to nothing says nothing', () => {
    const c = judgeMetric('app-errors', limits({ maxVsOld: 1.5 }), { old: v(0), new: v(0.01) })
    expect(c).toMatchObject({ outcome: 'pass', summary: 'app-errors 0.01, old 0: maxVsOld 1.5 not judged' })
    expect(c.figures).toMatchObject({ ratio: null })
  })
})

describe('query templates', () => {
  it('renders {{side}} and the target name, with or without inner spaces', () => {
    const q = 'sum(rate(app_errors_total{version="{{side}}",route="{{ route }}"}[1m]))'
    expect(renderQuery(q, 'new', 'checkout')).toBe('sum(rate(app_errors_total{version="new",route="checkout"}[1m]))')
    expect(renderQuery('jobs_failed{queue="{{queue}}",v="{{side}}"}', 'old', 'mail')).toBe('jobs_failed{queue="mail",v="old"}')
  })

  it('knows whether the query tells the sides apart and whether old is needed', () => {
    expect(usesSide('x{v="{{side}}"}')).toBe(true)
    expect(usesSide('sum(x)')).toBe(false)
    expect(needsOld(limits({ max: 1 }))).toBe(false)
    expect(needsOld(limits({ minVsOld: 0.5 }))).toBe(true)
  })
})
