import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let origin: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  origin = await startBackend('old')
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

test('x-forwarded-for gets the client address appended to every inbound value', async () => {
  const res = await dp.client.request({
    path: '/', method: 'GET',
    headers: [['x-forwarded-for', '10.0.0.1'], ['x-forwarded-for', '10.0.0.2, 10.0.0.3']].flat(),
  })
  await res.body.text()
  expect(origin.requests[0]?.headers['x-forwarded-for']).toBe('10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1')
})
