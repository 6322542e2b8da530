import { afterAll, beforeAll, expect, test } from 'vitest'
import { rawHandshake as handshake, startEchoBackend, type WsBackend } from '../../helpers/ws.js'
import { parseRawResponse, rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { buildViews } from '../../../src/state/views.js'
import { VIA_VALUE } from '../../../src/dataplane/http/via.js'

/** WebSocket handshakes get the same Via loop check as plain requests: 508, never an endless chain. */
let backend: WsBackend
let dp: TestDataPlane

beforeAll(async () => {
  backend = await startEchoBackend()
  dp = await startDataPlane([routeConfig({ name: 'live', old: [backend.origin], new: [backend.origin] })])
})

afterAll(async () => {
  await dp.close()
  await backend.close()
})

const answered = (r: string): boolean => r.includes('\r\n\r\n')

test('a handshake that already went through this sluice is answered 508 with a JSON body', async () => {
  const res = parseRawResponse(await rawExchange(dp.port, handshake(`via: 1.1 edge, ${VIA_VALUE}\r\n`)))
  expect(res.status).toBe(508)
  expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'loop' } })
  expect(backend.acceptedSockets()).toBe(0)
})

test('a route pointing at sluice itself ends in 508, not a chain of tunnels', async () => {
  const self = routeConfig({ name: 'live', old: [dp.url], new: [dp.url] })
  dp.plane.setRoutes([self], buildViews([self], [], { targets: new Map(), members: new Map() }).routes)
  try {
    const res = parseRawResponse(await rawExchange(dp.port, handshake()))
    expect(res.status).toBe(508)
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'loop' } })
  } finally {
    const back = routeConfig({ name: 'live', old: [backend.origin], new: [backend.origin] })
    dp.plane.setRoutes([back], buildViews([back], [], { targets: new Map(), members: new Map() }).routes)
  }
})

test('another sluice in the chain is not a loop: the handshake is tunnelled', async () => {
  const res = parseRawResponse(await rawExchange(dp.port, handshake('via: 1.1 sluice-00000000\r\n'), answered))
  expect(res.status).toBe(101)
})
