import { afterEach, describe, expect, it } from 'vitest'
import { call, routeConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

const beta = { name: 'beta', backend: 'new' as const, key: undefined, users: ['alice@example.com'], usersFile: undefined }

describe('PUT|DELETE /api/routes/NAME/groups/GROUP/users/ID', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('adds and removes members live; GET shows effective members and counts', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout', { groups: [beta] })] })
    const add = await call(admin.base, 'PUT', `/api/routes/checkout/groups/beta/users/${encodeURIComponent('bob@example.com')}`)
    expect(add.status).toBe(200)
    expect(add.json).toEqual({ group: 'beta', id: 'bob@example.com', member: true, members: 2 })

    const del = await call(admin.base, 'DELETE', `/api/routes/checkout/groups/beta/users/${encodeURIComponent('alice@example.com')}`)
    expect(del.json).toEqual({ group: 'beta', id: 'alice@example.com', member: false, members: 1 })

    expect((await call(admin.base, 'GET', '/api/routes/checkout/groups')).json).toEqual({ groups: { beta: { backend: 'new', users: ['bob@example.com'] } } })
    expect((await call(admin.base, 'GET', '/api/routes/checkout')).json).toMatchObject({ groups: { beta: 1 } })
  })

  it('validates ids: control characters or over 256 characters → 400 with a clear message', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout', { groups: [beta] })] })
    const ctrl = await call(admin.base, 'PUT', `/api/routes/checkout/groups/beta/users/${encodeURIComponent('a\tb')}`)
    expect(ctrl.status).toBe(400)
    expect(ctrl.json).toMatchObject({ error: { message: expect.stringContaining('1-256 printable characters') } })
    expect((await call(admin.base, 'PUT', `/api/routes/checkout/groups/beta/users/${'x'.repeat(257)}`)).status).toBe(400)
    expect((await call(admin.base, 'PUT', `/api/routes/checkout/groups/beta/users/${'x'.repeat(256)}`)).status).toBe(200)
  })

  it('404 for an unknown group or route', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout', { groups: [beta] })] })
    const g = await call(admin.base, 'PUT', '/api/routes/checkout/groups/vip/users/x')
    expect(g.status).toBe(404)
    expect(g.json).toMatchObject({ error: { message: expect.stringContaining("no group named 'vip'") } })
    expect((await call(admin.base, 'PUT', '/api/routes/nope/groups/beta/users/x')).status).toBe(404)
  })
})
