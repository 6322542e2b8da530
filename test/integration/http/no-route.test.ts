import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let origin: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  origin = await startBackend('old')
  dp = await startDataPlane([routeConfig({
    name: 'checkout', match: { host: 'shop.example.com', pathPrefix: '/checkout' }, old: [origin.url], new: [origin.url],
  })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

test('a request no route matches gets 404 JSON naming its host and path, and reaches no backend', async () => {
  const res = await dp.client.request({ path: '/y?secret=1', method: 'GET', headers: { host: 'x' } })

  expect(res.statusCode).toBe(404)
  expect(res.headers['content-type']).toBe('application/json')
  expect(await res.body.json()).toEqual({ error: { code: 'no_route', message: "no route matches host 'x' path '/y'" } })
  expect(origin.requests).toHaveLength(0)
  expect(dp.outcomes).toHaveLength(0)
})
