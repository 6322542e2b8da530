import { connect } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

interface Signals { gotBytes: Promise<void>; closedEarly: Promise<boolean> }

let origin: TestBackend
let dp: TestDataPlane
let signals: (s: Signals) => void = () => {}
let nextSignals = new Promise<Signals>((r) => { signals = r })

beforeAll(async () => {
  origin = await startBackend('old', (req, res) => {
    let gotBytes: () => void = () => {}
    const s: Signals = {
      gotBytes: new Promise<void>((r) => { gotBytes = r }),
      // 'close' before the request body or the response finished: the proxy gave up on this request.
      closedEarly: new Promise<boolean>((r) => res.on('close', () => r(!req.complete || !res.writableFinished))),
    }
    signals(s)
    if (req.url === '/upload') req.once('data', () => gotBytes())
    else {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('first part, and the rest never comes')
      gotBytes()
    }
  })
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

function within<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} within 5 s`)), 5_000))])
}

test('a client that disconnects mid-upload makes sluice abort the upstream request', async () => {
  nextSignals = new Promise<Signals>((r) => { signals = r })
  const client = connect(dp.port, '127.0.0.1')
  client.on('error', () => {})
  client.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n' + 'a'.repeat(64 * 1024))
  const s = await within(nextSignals, 'the origin got the request')
  await within(s.gotBytes, 'the origin got body bytes')
  client.destroy()

  expect(await within(s.closedEarly, 'the origin saw its request closed')).toBe(true)
  const [outcome] = await waitForOutcomes(dp, 1)
  expect(outcome).toMatchObject({ status: 0, error: undefined, clientGone: true })
})

test('a client that disconnects mid-response makes sluice abort the upstream request', async () => {
  nextSignals = new Promise<Signals>((r) => { signals = r })
  const client = connect(dp.port, '127.0.0.1')
  client.on('error', () => {})
  const firstBytes = new Promise<void>((r) => client.once('data', () => r()))
  client.write('GET /download HTTP/1.1\r\nHost: x\r\n\r\n')
  const s = await within(nextSignals, 'the origin got the request')
  await within(firstBytes, 'the client got the head')
  client.destroy()

  expect(await within(s.closedEarly, 'the origin saw its response closed')).toBe(true)
  // Still published: the head went out (its status), and the outcome says the client left.
  const outcome = (await waitForOutcomes(dp, 2))[1]
  expect(outcome).toMatchObject({ status: 200, error: undefined, clientGone: true })
})
