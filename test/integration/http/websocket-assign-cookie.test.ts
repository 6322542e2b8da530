import { afterAll, beforeAll, expect, test } from 'vitest'
import { rawHandshake as handshake, startEchoBackend, type WsBackend } from '../../helpers/ws.js'
import { parseRawResponse, rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

/** The key pass is shared with plain requests: an anonymous handshake on an assignCookie route gets its id. */
let backend: WsBackend
let dp: TestDataPlane

beforeAll(async () => {
  backend = await startEchoBackend()
  dp = await startDataPlane([routeConfig({
    name: 'live', old: [backend.origin], new: [backend.origin], percentBp: 5_000,
    assignCookie: 'sid', sticky: [{ kind: 'cookie', name: 'sid' }], exposeBackendHeader: true,
  })])
})

afterAll(async () => {
  await dp.close()
  await backend.close()
})

const headDone = (r: string): boolean => r.includes('\r\n\r\n')

test('the 101 sets the assigned id, and the same id keeps the handshake on the same side', async () => {
  const first = parseRawResponse(await rawExchange(dp.port, handshake(), headDone))
  expect(first.status).toBe(101)
  const cookie = first.headers.find(([name]) => name === 'set-cookie')?.[1] ?? ''
  expect(cookie).toMatch(/^sid=[^;]+; Path=\//)
  const side = first.headers.find(([name]) => name === 'x-sluice-backend')?.[1]
  const id = cookie.slice(0, cookie.indexOf(';'))
  for (let i = 0; i < 5; i++) {
    const again = parseRawResponse(await rawExchange(dp.port, handshake(`cookie: ${id}\r\n`), headDone))
    expect(again.status).toBe(101)
    expect(again.headers.find(([name]) => name === 'set-cookie')).toBeUndefined()
    expect(again.headers.find(([name]) => name === 'x-sluice-backend')?.[1]).toBe(side)
  }
})
