import { Readable } from 'node:stream'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { call, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('admin request body size cap', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('answers 413 for a body over 64 KiB, and the server keeps serving', async () => {
    admin = await startAdmin()
    const body = JSON.stringify({ percent: 5, reason: 'x'.repeat(70 * 1024) })

    const res = await call(admin.base, 'PUT', '/api/routes/checkout/percent', { body })

    expect(res.status).toBe(413)
    expect(res.json).toMatchObject({ error: { code: 'body_too_large' } })
    expect(admin.store.get({ kind: 'route', name: 'checkout' })?.percentBp).toBe(0)
    expect((await call(admin.base, 'GET', '/healthz')).status).toBe(200)
  })

  it('answers 413 for a chunked body that grows past 64 KiB while it is read', async () => {
    admin = await startAdmin()
    const chunks = Array.from({ length: 20 }, () => Buffer.alloc(8 * 1024, 0x20))

    const res = await request(`${admin.base}/api/routes/checkout/percent`, { method: 'PUT', body: Readable.from(chunks), headers: { 'content-type': 'application/json' } })

    expect(res.statusCode).toBe(413)
    expect(await res.body.json()).toMatchObject({ error: { code: 'body_too_large' } })
  })
})
