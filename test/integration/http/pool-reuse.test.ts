import { afterAll, beforeAll, expect, test } from 'vitest'
import { buildViews } from '../../../src/state/views.js'
import { startRawOrigin, type RawOrigin } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'

let first: RawOrigin
let second: RawOrigin
let dp: TestDataPlane

beforeAll(async () => {
  first = await startRawOrigin(OK)
  second = await startRawOrigin(OK)
  dp = await startDataPlane([routeConfig({ name: 'r', old: [first.url], new: [first.url] })])
})

afterAll(async () => {
  await dp.close()
  await Promise.all([first.close(), second.close()])
})

async function get(): Promise<void> {
  const res = await dp.client.request({ path: '/', method: 'GET' })
  expect(await res.body.text()).toBe('ok')
}

test('a live percent change keeps the warm upstream connection; a new origin list gets a new pool', async () => {
  await get()
  dp.setPercent('r', 2_500)
  await get()
  await get()
  expect(first.connections()).toBe(1)
  expect(first.heads).toHaveLength(3)

  const moved = [routeConfig({ name: 'r', old: [second.url], new: [second.url] })]
  dp.plane.setRoutes(moved, buildViews(moved, [], { targets: new Map(), members: new Map() }).routes)
  await get()
  expect(second.heads).toHaveLength(1)
  expect(first.heads).toHaveLength(3)
})
