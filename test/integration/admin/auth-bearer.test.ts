import { afterEach, describe, expect, it } from 'vitest'
import { call, startAdmin, type AdminHarness } from '../../helpers/admin.js'

const TOKEN = 's3cret-token'

describe('admin API bearer token', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('answers 401 with www-authenticate without a token or with a wrong one, 200 with the right one', async () => {
    admin = await startAdmin({ token: TOKEN })

    const none = await call(admin.base, 'GET', '/api/routes')
    expect(none.status).toBe(401)
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/)
    expect(none.json).toMatchObject({ error: { code: 'unauthorized' } })

    const wrong = await call(admin.base, 'GET', '/api/routes', { token: 'nope' })
    expect(wrong.status).toBe(401)
    // Same length, different token: the comparison is not a prefix check.
    expect((await call(admin.base, 'GET', '/api/routes', { token: 's3cret-tokeN' })).status).toBe(401)
    // Unknown API paths are hidden behind the token too.
    expect((await call(admin.base, 'GET', '/api/nothing-here')).status).toBe(401)
    // A write without the token changes nothing.
    expect((await call(admin.base, 'PUT', '/api/routes/checkout/percent', { body: { percent: 50 } })).status).toBe(401)
    expect(admin.store.get({ kind: 'route', name: 'checkout' })?.percentBp).toBe(0)

    const ok = await call(admin.base, 'GET', '/api/routes', { token: TOKEN })
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ routes: [{ name: 'checkout' }] })
  })

  it('leaves health, readiness and metrics open for probes and Prometheus', async () => {
    admin = await startAdmin({ token: TOKEN })

    expect((await call(admin.base, 'GET', '/healthz')).status).toBe(200)
    expect((await call(admin.base, 'GET', '/readyz')).status).toBe(200)
    expect((await call(admin.base, 'GET', '/metrics')).status).toBe(200)
  })
})
