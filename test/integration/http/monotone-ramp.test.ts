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
    name: 'checkout', old: [oldB.url], new: [newB.url], percentBp: 500,
    sticky: [{ kind: 'header', name: 'x-user-id' }],
  })])
})

afterAll(async () => {
  await dp.close()
  await Promise.all([oldB.close(), newB.close()])
})

const KEYS = Array.from({ length: 2_000 }, (_, i) => `ramp-${i}`)

async function keysOnNew(): Promise<Set<string>> {
  const onNew = new Set<string>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < KEYS.length) {
      const id = KEYS[next++]!
      const res = await dp.client.request({ path: '/', method: 'GET', headers: { 'x-user-id': id } })
      if ((await res.body.text()) === 'new') onNew.add(id)
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  return onNew
}

test('ramping 5 % → 10 % live moves users onto new and nobody off it', async () => {
  const at5 = await keysOnNew()
  dp.setPercent('checkout', 1_000)
  const at10 = await keysOnNew()

  expect(at5.size).toBeGreaterThan(0)
  expect(at10.size).toBeGreaterThan(at5.size)
  const left = [...at5].filter((k) => !at10.has(k))
  expect(left).toEqual([])
})
