import { afterEach, describe, expect, it } from 'vitest'
import { call, routeConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

const TOKEN = 't0ken'

describe('PUT /api/routes/NAME/percent', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('changes the live percent: the answer, GET, the history and /metrics all show it', async () => {
    admin = await startAdmin({ token: TOKEN, routes: [routeConfig('checkout', { percentBp: 100 }), routeConfig('search')] })

    const put = await call(admin.base, 'PUT', '/api/routes/checkout/percent', { token: TOKEN, body: { percent: 7.25, reason: 'ramp up' } })
    expect(put.status).toBe(200)
    expect(put.json).toMatchObject({ name: 'checkout', kind: 'route', percent: 7.25, state: 'manual' })

    const one = await call(admin.base, 'GET', '/api/routes/checkout', { token: TOKEN })
    expect(one.json).toMatchObject({ name: 'checkout', percent: 7.25, state: 'manual', step: -1, steps: [], nextStepAt: null, windowOpen: null, groups: {}, lastVerdict: null })
    const all = await call(admin.base, 'GET', '/api/routes', { token: TOKEN })
    expect(all.json).toMatchObject({ routes: [{ name: 'checkout', percent: 7.25 }, { name: 'search', percent: 0 }] })

    const history = await call(admin.base, 'GET', '/api/routes/checkout/history', { token: TOKEN })
    expect(history.json).toEqual({
      events: [{
        at: new Date(admin.clock.now()).toISOString(), actor: 'admin', reason: 'ramp up',
        from: { percent: 1, state: 'manual' }, to: { percent: 7.25, state: 'manual' },
      }],
    })

    const metrics = await call(admin.base, 'GET', '/metrics')
    expect(metrics.text).toContain('sluice_percent{kind="route",name="checkout"} 7.25')
  })
})
