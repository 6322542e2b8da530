import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let origin: TestBackend
let dp: TestDataPlane
let releaseSecond: () => void = () => {}
const secondMayGo = new Promise<void>((r) => { releaseSecond = r })

beforeAll(async () => {
  // The origin sends one event, then waits for the test to see it before it sends the last one and ends.
  origin = await startBackend('old', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
    res.write('data: first\n\n')
    void secondMayGo.then(() => res.end('data: second\n\n'))
  })
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  releaseSecond()
  await dp.close()
  await origin.close()
})

test('server-sent events reach the client while the stream is still open', async () => {
  const res = await dp.client.request({ path: '/events', method: 'GET', headers: { accept: 'text/event-stream' } })
  expect(res.headers['content-type']).toBe('text/event-stream')
  let text = ''
  for await (const chunk of res.body) {
    text += (chunk as Buffer).toString()
    // Only once the first event arrived does the origin send the rest: no buffering proxy gets here.
    if (text === 'data: first\n\n') releaseSecond()
  }
  expect(text).toBe('data: first\n\ndata: second\n\n')
})
