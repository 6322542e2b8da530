import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { parseRawResponse, rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let origin: TestBackend
let dp: TestDataPlane
const parked: ServerResponse[] = []
let arrived: () => void = () => {}
const slowArrived = new Promise<void>((r) => { arrived = r })

beforeAll(async () => {
  origin = await startBackend('old', (req, res) => {
    if (req.url === '/slow') {
      parked.push(res)
      arrived()
    } else {
      res.end('quick')
    }
  })
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  for (const res of parked) res.end()
  await dp.close()
  await origin.close()
})

test('draining closes idle keep-alive sockets, answers in-flight requests with connection: close, and close() waits for them', async () => {
  // An idle keep-alive connection: one request done, socket still open.
  const idle = connect(dp.port, '127.0.0.1')
  idle.on('error', () => {})
  const idleClosed = once(idle, 'close')
  idle.write('GET /quick HTTP/1.1\r\nHost: x\r\n\r\n')
  await once(idle, 'data')

  // An in-flight request the origin holds.
  const inflight = rawExchange(dp.port, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n')
  await slowArrived
  expect(dp.plane.inflight()).toBe(1)

  dp.plane.startDrain()
  await idleClosed
  let closed = false
  const closing = dp.plane.close(10_000).then(() => { closed = true })
  await new Promise((r) => setTimeout(r, 100))
  expect(closed).toBe(false)

  parked.shift()?.end('slow done')
  // rawExchange resolves when the server closes the socket: keep-alive would leave it open.
  const answer = parseRawResponse(await inflight)
  expect(answer.status).toBe(200)
  expect(answer.headers).toContainEqual(['connection', 'close'])
  await closing
  expect(closed).toBe(true)
  expect(dp.plane.inflight()).toBe(0)
})
