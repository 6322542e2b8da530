import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let oldB: TestBackend
let newB: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  oldB = await startBackend('old')
  newB = await startBackend('new')
  const sides = { old: [oldB.url], new: [newB.url] }
  dp = await startDataPlane([
    routeConfig({ name: 'exposed-new', match: { host: undefined, pathPrefix: '/exposed-new' }, ...sides, percentBp: 10_000, exposeBackendHeader: true }),
    routeConfig({ name: 'exposed-old', match: { host: undefined, pathPrefix: '/exposed-old' }, ...sides, percentBp: 0, exposeBackendHeader: true }),
    routeConfig({ name: 'hidden', match: { host: undefined, pathPrefix: '/hidden' }, ...sides, percentBp: 10_000 }),
  ])
})

afterAll(async () => {
  await dp.close()
  await Promise.all([oldB.close(), newB.close()])
})

async function get(path: string): Promise<{ side: string; header: string | string[] | undefined }> {
  const res = await dp.client.request({ path, method: 'GET', headers: { 'x-sluice-backend': 'spoofed' } })
  return { side: await res.body.text(), header: res.headers['x-sluice-backend'] }
}

test('x-sluice-backend names the side that answered, only on routes with exposeBackendHeader', async () => {
  expect(await get('/exposed-new')).toEqual({ side: 'new', header: 'new' })
  expect(await get('/exposed-old')).toEqual({ side: 'old', header: 'old' })
  expect(await get('/hidden')).toEqual({ side: 'new', header: undefined })
})
