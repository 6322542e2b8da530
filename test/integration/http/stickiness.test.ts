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
    name: 'checkout', old: [oldB.url], new: [newB.url], percentBp: 5_000,
    sticky: [{ kind: 'header', name: 'x-user-id' }],
  })])
})

afterAll(async () => {
  await dp.close()
  await Promise.all([oldB.close(), newB.close()])
})

async function sideFor(id: string): Promise<string> {
  const res = await dp.client.request({ path: '/', method: 'GET', headers: { 'x-user-id': id } })
  return res.body.text()
}

test('the same key lands on the same side 50 times in a row', async () => {
  // At 50 % both sides get keys, so "always the same side" is not the trivial answer.
  const keys = Array.from({ length: 20 }, (_, i) => `sticky-${i}`)
  const sides = new Set<string>()
  for (const key of keys) {
    const seen = new Set<string>()
    for (let i = 0; i < 50; i++) seen.add(await sideFor(key))
    expect([...seen], key).toHaveLength(1)
    sides.add([...seen][0]!)
  }
  expect([...sides].sort()).toEqual(['new', 'old'])
})
