import { afterAll, beforeAll, expect, test } from 'vitest'
import { REFUSED_ORIGIN } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

let dp: TestDataPlane

beforeAll(async () => {
  dp = await startDataPlane([routeConfig({ name: 'checkout', old: [REFUSED_ORIGIN], new: [REFUSED_ORIGIN], percentBp: 10_000 })])
})

afterAll(async () => {
  await dp.close()
})

test('when new and then old refuse the connection, the client gets a 502 JSON error', async () => {
  const res = await dp.client.request({ path: '/', method: 'GET' })

  expect(res.statusCode).toBe(502)
  expect(res.headers['content-type']).toBe('application/json')
  const body = await res.body.json() as { error: { code: string; message: string } }
  expect(body.error.code).toBe('upstream_connect')
  expect(body.error.message.length).toBeGreaterThan(0)
  const [outcome] = await waitForOutcomes(dp, 1)
  expect(outcome).toMatchObject({ side: 'new', servedBy: 'old', status: 502, error: 'connect', fellBack: true })
  expect(dp.outcomes).toHaveLength(1)
})
