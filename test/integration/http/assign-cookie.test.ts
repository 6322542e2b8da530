import { expect, test } from 'vitest'
import { useCheckoutPlane } from '../../helpers/dataplane.js'

const f = useCheckoutPlane({
  percentBp: 5_000, sticky: [{ kind: 'header', name: 'x-user-id' }, { kind: 'cookie', name: 'sluice-id' }], assignCookie: 'sluice-id',
})

test('an anonymous client gets an id cookie, and with it stays on one side', async () => {
  const sides = new Set<string>()
  for (let visitor = 0; visitor < 20; visitor++) {
    const first = await f.dp.client.request({ path: '/', method: 'GET' })
    const side = await first.body.text()
    const setCookie = first.headers['set-cookie']
    expect(setCookie).toMatch(/^sluice-id=[0-9a-f]{32}; Path=\/; Max-Age=31536000; HttpOnly; SameSite=Lax$/)
    const cookie = String(setCookie).split(';')[0]!

    for (let i = 0; i < 10; i++) {
      const again = await f.dp.client.request({ path: '/', method: 'GET', headers: { cookie: `other=1; ${cookie}` } })
      expect(await again.body.text()).toBe(side)
      expect(again.headers['set-cookie']).toBeUndefined()
    }
    sides.add(side)
  }
  // At 50 % both sides appear, so staying put is not the only possible answer.
  expect([...sides].sort()).toEqual(['new', 'old'])
})

test('a client with a sticky key of its own gets no cookie', async () => {
  const res = await f.dp.client.request({ path: '/', method: 'GET', headers: { 'x-user-id': 'u-1' } })
  await res.body.text()
  expect(res.headers['set-cookie']).toBeUndefined()
})
