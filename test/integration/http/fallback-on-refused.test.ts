import { Readable } from 'node:stream'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { REFUSED_ORIGIN, startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

let oldB: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  oldB = await startBackend('old')
  // Everyone is on new, and new refuses connections.
  dp = await startDataPlane([routeConfig({
    name: 'checkout', old: [oldB.url], new: [REFUSED_ORIGIN], percentBp: 10_000, exposeBackendHeader: true,
  })])
})

afterAll(async () => {
  await dp.close()
  await oldB.close()
})

test('a GET that new refuses is answered by old and counted as a new-side connect error', async () => {
  const before = dp.outcomes.length
  const res = await dp.client.request({ path: '/a', method: 'GET' })

  expect(res.statusCode).toBe(200)
  expect(await res.body.text()).toBe('old')
  expect(res.headers['x-sluice-backend']).toBe('old')
  const [outcome] = (await waitForOutcomes(dp, before + 1)).slice(before)
  expect(outcome).toMatchObject({ name: 'checkout', side: 'new', servedBy: 'old', status: 200, error: 'connect', fellBack: true })
})

test('a POST that new refuses reaches old with its whole body', async () => {
  const before = dp.outcomes.length
  const payload = Buffer.alloc(200 * 1024, 0x7a)
  const res = await dp.client.request({ path: '/b', method: 'POST', body: payload })

  expect(res.statusCode).toBe(200)
  expect(await res.body.text()).toBe('old')
  const seen = oldB.requests.at(-1)
  expect(seen?.method).toBe('POST')
  expect(seen?.bodyBytes).toBe(payload.length)
  expect(seen?.body.equals(payload)).toBe(true)
  const [outcome] = (await waitForOutcomes(dp, before + 1)).slice(before)
  expect(outcome).toMatchObject({ side: 'new', servedBy: 'old', status: 200, error: 'connect', fellBack: true })
})

test('a chunked POST (no content-length) that new refuses also reaches old whole', async () => {
  const payload = Buffer.alloc(100 * 1024, 0x79)
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < payload.length; i += 10 * 1024) yield payload.subarray(i, i + 10 * 1024)
  }
  const res = await dp.client.request({ path: '/c', method: 'POST', body: Readable.from(chunks()) })

  expect(res.statusCode).toBe(200)
  expect(await res.body.text()).toBe('old')
  expect(oldB.requests.at(-1)?.body.equals(payload)).toBe(true)
})
