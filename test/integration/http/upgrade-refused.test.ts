import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { parseRawResponse, rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

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

test('an h2c upgrade is refused with 400 and never reaches the origin', async () => {
  const raw = await rawExchange(dp.port, [
    'GET / HTTP/1.1', 'Host: x', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c',
    'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', '', '',
  ].join('\r\n'))
  const res = parseRawResponse(raw)

  expect(res.status).toBe(400)
  expect(res.headers).toContainEqual(['connection', 'close'])
  expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'bad_request' } })
  expect(origin.requests).toHaveLength(0)
})
