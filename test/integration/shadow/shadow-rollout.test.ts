import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../../src/app/index.js'
import { run } from '../../../src/cli/index.js'
import { call, parseMetrics, valueOf } from '../../helpers/admin.js'
import { appConfig, startApp } from '../../helpers/app.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * The whole product path of README "Shadow traffic": shadow calls of a rollout's old share find
 * that new answers differently, maxMismatchRate holds the evidence and rolls the rollout back;
 * GET /api/routes/NAME/shadow, `sluice shadow` and the metrics show what was found.
 */
describe('shadow traffic in a rollout (maxMismatchRate)', () => {
  let oldSide: SideBackend
  let newSide: SideBackend
  let app: SluiceApp
  let data = ''
  let admin = ''

  beforeAll(async () => {
    oldSide = await startSideBackend('old')
    newSide = await startSideBackend('new')
    ;({ app, data, admin } = await startApp(appConfig(`routes:
  - name: checkout
    old: ${oldSide.url}
    new: ${newSide.url}
    sticky: [header:x-user-id]
    shadow: { percent: 100, compare: { headers: [content-type] } }
    rollout:
      steps: [1, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 1, maxMismatchRate: 0.01, failureLimit: 2 }
`), { tickMs: 100 }))
  })
  afterAll(async () => {
    await app?.shutdown('test')
    await oldSide?.close()
    await newSide?.close()
  })

  it('rolls back on the mismatch rate, and shows the mismatches in the API, the CLI and the metrics', async () => {
    let i = 0
    await waitFor(async () => {
      // Old's users get old's answer, unchanged, while their shadow calls find new's differs.
      await Promise.all(Array.from({ length: 20 }, async () => {
        const res = await request(`${data}/cart?id=${i}`, { headers: { 'x-user-id': `user-${i++}` } })
        const body = await res.body.json() as { backend: string }
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
        return body
      }))
      const route = (await call(admin, 'GET', '/api/routes/checkout')).json as { state: string }
      return route.state === 'rolled_back'
    }, { timeoutMs: 20_000, message: 'a rollback by maxMismatchRate' })

    const history = (await call(admin, 'GET', '/api/routes/checkout/history')).json as { events: Array<{ reason: string; to: { state: string } }> }
    expect(history.events.at(-1)!.reason).toMatch(/maxMismatchRate/)
    const shadow = (await call(admin, 'GET', '/api/routes/checkout/shadow')).json as {
      compared: number; mismatched: number; matched: number; errors: number; skipped: number
      samples: Array<{
        at: string; method: string; path: string; old: { status: number }; new: { status: number }; diff: string[]
      }>
    }
    expect(shadow.mismatched).toBeGreaterThan(0)
    expect(shadow.compared).toBe(shadow.matched + shadow.mismatched)
    expect(shadow.samples.length).toBeGreaterThan(0)
    expect(shadow.samples.length).toBeLessThanOrEqual(50)
    expect(shadow.samples[0]).toMatchObject({ method: 'GET', path: '/cart?id', old: { status: 200 }, new: { status: 200 }, diff: ['$.backend: "old" → "new"'] })

    const metrics = parseMetrics((await call(admin, 'GET', '/metrics')).text)
    expect(valueOf(metrics, 'sluice_shadow_total', { route: 'checkout', result: 'mismatch' })).toBeGreaterThan(0)
    expect(valueOf(metrics, 'sluice_shadow_total', { route: 'checkout', result: 'skipped' })).toBeDefined()
    expect(valueOf(metrics, 'sluice_shadow_duration_seconds_count', { route: 'checkout' })).toBeGreaterThan(0)
    expect(valueOf(metrics, 'sluice_rollbacks_total', { kind: 'route', name: 'checkout', reason: 'mismatch_rate' })).toBe(1)

    const route = (await call(admin, 'GET', '/api/routes/checkout')).json as { shadow: { compared: number; mismatchRate: number } }
    expect(route.shadow.compared).toBeGreaterThan(0)
    expect(route.shadow.mismatchRate).toBeGreaterThan(0.9)
    expect((await call(admin, 'GET', '/')).text).toMatch(/shadow: <b>\d+\.\d\d %<\/b> mismatch rate/)

    const out: string[] = []
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(`ERR ${t}`) }
    expect(await run(['shadow', 'checkout', '--admin', admin], io, {})).toBe(0)
    expect(out[0]).toMatch(/^COMPARED\s+MATCHED\s+MISMATCHED\s+ERRORS\s+SKIPPED\s+MISMATCH RATE\n/)
    expect(out.join('\n')).toContain('$.backend: "old" → "new"')
    out.length = 0
    expect(await run(['shadow', 'checkout', '--admin', admin, '-o', 'json'], io, {})).toBe(0)
    expect(JSON.parse(out[0]!)).toMatchObject({ mismatched: expect.any(Number), samples: expect.any(Array) })
  })

  it('answers 404 for a route without a shadow block or unknown', async () => {
    const unknown = await call(admin, 'GET', '/api/routes/nope/shadow')
    expect(unknown.status).toBe(404)
  })
})
