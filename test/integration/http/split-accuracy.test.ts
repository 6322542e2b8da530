import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let oldB: TestBackend
let newB: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  oldB = await startBackend('old')
  newB = await startBackend('new')
  dp = await startDataPlane([routeConfig({
    name: 'checkout', old: [oldB.url], new: [newB.url], percentBp: 1_000,
    sticky: [{ kind: 'header', name: 'x-user-id' }],
  })])
})

afterAll(async () => {
  await dp.close()
  await Promise.all([oldB.close(), newB.close()])
})

test('10,000 distinct keys at 10 % send 10 % ± 1 of them to new', async () => {
  const KEYS = 10_000
  const CONCURRENCY = 32
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < KEYS) {
      const id = `user-${next++}`
      const res = await dp.client.request({ path: '/', method: 'GET', headers: { 'x-user-id': id } })
      await res.body.text()
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))

  const share = newB.requests.length / KEYS
  expect(oldB.requests.length + newB.requests.length).toBe(KEYS)
  expect(share).toBeGreaterThanOrEqual(0.09)
  expect(share).toBeLessThanOrEqual(0.11)
})
