import { afterEach, describe, expect, it } from 'vitest'
import { call, routeConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

const rollout = { stepsBp: [100, 500, 10_000], intervalMs: 60_000, schedule: undefined, analysis: undefined }

describe('POST /api/routes/NAME/{pause,resume,promote,rollback}', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('rollback → 0 % rolled_back with a history event; resume starts again from the first step', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout', { percentBp: 500, rollout })] })
    const rb = await call(admin.base, 'POST', '/api/routes/checkout/rollback', { body: { reason: 'checkout errors' } })
    expect(rb.status).toBe(200)
    expect(rb.json).toMatchObject({ percent: 0, state: 'rolled_back' })

    const resumed = await call(admin.base, 'POST', '/api/routes/checkout/resume')
    expect(resumed.json).toMatchObject({ percent: 0, state: 'progressing', step: -1 })

    const history = (await call(admin.base, 'GET', '/api/routes/checkout/history')).json as { events: Array<Record<string, unknown>> }
    expect(history.events.map((e) => [e.actor, e.reason, (e.to as { state: string }).state])).toEqual([
      ['admin', 'checkout errors', 'rolled_back'],
      ['admin', 'resumed from the first step', 'progressing'],
    ])
    const metrics = (await call(admin.base, 'GET', '/metrics')).text
    expect(metrics).toContain('sluice_rollbacks_total{kind="route",name="checkout",reason="manual"} 1')
  })

  it('pause and promote', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout', { percentBp: 500, rollout })] })
    expect((await call(admin.base, 'POST', '/api/routes/checkout/pause')).json).toMatchObject({ state: 'paused', percent: 5 })
    expect((await call(admin.base, 'POST', '/api/routes/checkout/promote')).json).toMatchObject({ state: 'completed', percent: 100 })
  })

  it('a command that does not apply is refused with 409 and the reason', async () => {
    admin = await startAdmin({ routes: [routeConfig('plain', { percentBp: 500 })] })
    const pause = await call(admin.base, 'POST', '/api/routes/plain/pause')
    expect(pause.status).toBe(409)
    expect(pause.json).toMatchObject({ error: { code: 'invalid_state', message: expect.stringContaining('manual') } })
    const resume = await call(admin.base, 'POST', '/api/routes/plain/resume')
    expect(resume.status).toBe(409)
    expect(resume.json).toMatchObject({ error: { message: expect.stringContaining('no rollout block') } })
  })

  it('404 for an unknown route, 400 for a bad reason', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout', { rollout })] })
    expect((await call(admin.base, 'POST', '/api/routes/nope/rollback')).status).toBe(404)
    expect((await call(admin.base, 'POST', '/api/routes/checkout/rollback', { body: { reason: 42 } })).status).toBe(400)
  })
})
