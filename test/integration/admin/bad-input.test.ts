import { afterEach, describe, expect, it } from 'vitest'
import { call, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('PUT percent with bad input', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it.each([
    ['not JSON', '{"percent": 5', /not valid JSON/],
    ['a JSON array', '[5]', /JSON object/],
    ['no percent', { reason: 'x' }, /"percent" must be a number/],
    ['a string percent', { percent: '5' }, /"percent" must be a number/],
    ['a negative percent', { percent: -1 }, /out of range/],
    ['over 100', { percent: 100.01 }, /out of range/],
    ['three decimals', { percent: 1.234 }, /two decimals/],
    ['a non-string reason', { percent: 5, reason: 42 }, /"reason"/],
  ])('answers 400 bad_request for %s, and the percent stays', async (_what, body, message) => {
    admin = await startAdmin()

    const res = await call(admin.base, 'PUT', '/api/routes/checkout/percent', { body })

    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({ error: { code: 'bad_request', message: expect.stringMatching(message) } })
    expect(admin.store.get({ kind: 'route', name: 'checkout' })?.percentBp).toBe(0)
  })

  it('accepts two decimals that are not exact in binary floating point', async () => {
    admin = await startAdmin()

    const res = await call(admin.base, 'PUT', '/api/routes/checkout/percent', { body: { percent: 0.29 } })

    expect(res.status).toBe(200)
    expect(admin.store.get({ kind: 'route', name: 'checkout' })?.percentBp).toBe(29)
  })
})
