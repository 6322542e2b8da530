import { afterEach, describe, expect, it } from 'vitest'
import type { ShadowConfig } from '../../../src/config/types.js'
import { ShadowLedger } from '../../../src/observe/shadow.js'
import { call, parseMetrics, routeConfig, startAdmin, valueOf, type AdminHarness } from '../../helpers/admin.js'

const shadow: ShadowConfig = { percentBp: 10_000, methods: ['GET'], maxBodyBytes: 1024, maxConcurrent: 4, compare: { headers: [], ignoreJson: [] } }

describe('shadow metrics (README "Shadow traffic")', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('exist at 0 for routes with a shadow block only, count through the ledger, and go with the block', async () => {
    const routes = [routeConfig('checkout', { shadow }), routeConfig('plain')]
    admin = await startAdmin({ routes })
    let s = parseMetrics((await call(admin.base, 'GET', '/metrics')).text)
    for (const result of ['match', 'mismatch', 'error', 'skipped']) {
      expect(valueOf(s, 'sluice_shadow_total', { route: 'checkout', result })).toBe(0)
      expect(valueOf(s, 'sluice_shadow_total', { route: 'plain', result })).toBeUndefined()
    }
    expect(valueOf(s, 'sluice_shadow_duration_seconds_count', { route: 'checkout' })).toBe(0)

    const judged: Array<[string, boolean]> = []
    const ledger = new ShadowLedger({
      series: (r) => admin!.recorder.shadowSeries(r), onJudged: (r, d) => judged.push([r, d]), now: () => 0,
    })
    ledger.configure(routes)
    const stats = ledger.stats('checkout')!
    stats.record('match', 12)
    stats.record('mismatch', 30)
    stats.record('error', 5)
    stats.record('skipped')
    expect(ledger.stats('plain')).toBeUndefined()
    expect(judged).toEqual([['checkout', false], ['checkout', true], ['checkout', true]])
    s = parseMetrics((await call(admin.base, 'GET', '/metrics')).text)
    for (const result of ['match', 'mismatch', 'error', 'skipped']) expect(valueOf(s, 'sluice_shadow_total', { route: 'checkout', result })).toBe(1)
    expect(valueOf(s, 'sluice_shadow_duration_seconds_count', { route: 'checkout' })).toBe(3)

    // The figures survive a route-table rebuild; the block's removal drops them and the series.
    ledger.configure(routes)
    expect(ledger.report('checkout')).toMatchObject({ compared: 2, matched: 1, mismatched: 1, errors: 1, skipped: 1 })
    const without = [routeConfig('checkout'), routeConfig('plain')]
    admin.recorder.setTargets(without, [])
    ledger.configure(without)
    expect(ledger.report('checkout')).toBeUndefined()
    stats.record('match', 1) // a call that was in flight when the block went
    s = parseMetrics((await call(admin.base, 'GET', '/metrics')).text)
    expect(valueOf(s, 'sluice_shadow_total', { route: 'checkout', result: 'match' })).toBeUndefined()
  })

  it('keeps the last 50 samples, newest last', () => {
    const ledger = new ShadowLedger({ now: () => Date.UTC(2026, 0, 1) })
    ledger.configure([routeConfig('r', { shadow })])
    const stats = ledger.stats('r')!
    for (let i = 0; i < 60; i++) stats.sample({ method: 'GET', path: `/${i}`, old: { status: 200 }, new: { status: 500 }, diff: ['status: 200 → 500'] })
    const samples = ledger.report('r')!.samples
    expect(samples).toHaveLength(50)
    expect(samples[0]!.path).toBe('/10')
    expect(samples.at(-1)).toEqual({ at: '2026-01-01T00:00:00.000Z', method: 'GET', path: '/59', old: { status: 200 }, new: { status: 500 }, diff: ['status: 200 → 500'] })
  })
})
