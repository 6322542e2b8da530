import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

let slow: TestBackend
let dp: TestDataPlane
const parked: ServerResponse[] = []

beforeAll(async () => {
  // Never answers: the route's header timeout decides.
  slow = await startBackend('old', (_req, res) => { parked.push(res) })
  dp = await startDataPlane([routeConfig({
    name: 'slow', old: [slow.url], new: [slow.url],
    timeouts: { connectMs: 1_000, headerMs: 200, idleMs: 10_000 },
  })])
})

afterAll(async () => {
  await dp.close()
  await slow.close()
})

test('a backend that sends no headers within the header timeout gives 504 JSON', async () => {
  const res = await dp.client.request({ path: '/', method: 'GET' })

  expect(res.statusCode).toBe(504)
  const body = await res.body.json() as { error: { code: string } }
  expect(body.error.code).toBe('upstream_timeout')
  const [outcome] = await waitForOutcomes(dp, 1)
  expect(outcome).toMatchObject({ side: 'old', servedBy: 'old', status: 504, error: 'timeout', fellBack: false })
})
