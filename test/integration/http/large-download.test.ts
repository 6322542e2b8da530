import { once } from 'node:events'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, rssSampler, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

const TOTAL = 50 * 1024 * 1024
const CHUNK = 64 * 1024
/** The origin holds the rest back until the client has bytes: a proxy that buffered would deadlock. */
const HOLD_AFTER = 8 * 1024 * 1024

let origin: TestBackend
let dp: TestDataPlane
let clientGotBytes: () => void = () => {}
const clientHasBytes = new Promise<void>((r) => { clientGotBytes = r })

beforeAll(async () => {
  origin = await startBackend('old', (_req, res) => {
    void (async () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TOTAL) })
      const chunk = Buffer.alloc(CHUNK, 0x62)
      for (let sent = 0; sent < TOTAL; sent += CHUNK) {
        if (sent === HOLD_AFTER) await clientHasBytes
        if (!res.write(chunk)) await once(res, 'drain')
      }
      res.end()
    })()
  })
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

test('a 50 MB download is streamed to the client with RSS growth under 100 MB', async () => {
  const rss = rssSampler()
  const res = await dp.client.request({ path: '/download', method: 'GET' })
  let bytes = 0
  for await (const chunk of res.body) {
    bytes += (chunk as Buffer).length
    clientGotBytes()
  }
  const growth = rss.stop()

  expect(res.statusCode).toBe(200)
  expect(bytes).toBe(TOTAL)
  expect(growth).toBeLessThan(100 * 1024 * 1024)
})
