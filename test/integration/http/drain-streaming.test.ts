import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { parseRawResponse, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let origin: TestBackend
let dp: TestDataPlane
const parked: ServerResponse[] = []
let arrived: () => void = () => {}
const headSent = new Promise<void>((r) => { arrived = r })

beforeAll(async () => {
  // Sends its head and a first chunk at once, the rest when the test says so.
  origin = await startBackend('old', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first;')
    parked.push(res)
    arrived()
  })
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  for (const res of parked) res.end()
  await dp.close()
  await origin.close()
})

test('a response already streaming when the drain starts has its connection closed once it ends', async () => {
  const client = connect(dp.port, '127.0.0.1')
  client.on('error', () => {})
  let received = ''
  client.on('data', (d: Buffer) => { received += d.toString('latin1') })
  const closed = once(client, 'close')
  client.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n')
  await headSent
  while (!received.includes('first;')) await once(client, 'data')

  dp.plane.startDrain()
  parked.shift()?.end('last')

  // The head promised keep-alive; the drain closes the socket anyway once the response is done.
  await closed
  const answer = parseRawResponse(received)
  expect(answer.status).toBe(200)
  expect(answer.headers).toContainEqual(['connection', 'keep-alive'])
  expect(answer.body).toContain('last')
})
