import { afterEach, describe, expect, it } from 'vitest'
import { call, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('admin plane 404 and 405', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('answers 404 not_found naming the missing route, queue or path', async () => {
    admin = await startAdmin()

    const route = await call(admin.base, 'GET', '/api/routes/nope')
    expect(route.status).toBe(404)
    expect(route.json).toEqual({ error: { code: 'not_found', message: "no route named 'nope'" } })
    expect((await call(admin.base, 'PUT', '/api/routes/nope/percent', { body: { percent: 5 } })).status).toBe(404)
    expect((await call(admin.base, 'GET', '/api/routes/nope/history')).status).toBe(404)
    expect((await call(admin.base, 'GET', '/api/queues/checkout')).json).toMatchObject({ error: { message: "no queue named 'checkout'" } })
    expect((await call(admin.base, 'GET', '/nothing')).status).toBe(404)
  })

  it('answers 405 with allow for a known path and the wrong method', async () => {
    admin = await startAdmin()

    const res = await call(admin.base, 'POST', '/api/routes/checkout/percent', { body: { percent: 5 } })

    expect(res.status).toBe(405)
    expect(res.headers['allow']).toBe('PUT')
    expect(res.json).toMatchObject({ error: { code: 'method_not_allowed' } })
  })
})
