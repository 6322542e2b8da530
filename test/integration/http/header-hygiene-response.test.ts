import { afterAll, beforeAll, expect, test } from 'vitest'
import { startRawOrigin, type RawOrigin } from '../../helpers/backends.js'
import { parseRawResponse, rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

const ORIGIN_RESPONSE = [
  'HTTP/1.1 200 OK',
  'Content-Length: 2',
  'Connection: keep-alive, X-Internal',
  'X-Internal: secret',
  'Keep-Alive: timeout=5',
  'Proxy-Authenticate: Basic realm="x"',
  'Proxy-Connection: keep-alive',
  'Trailer: x-t',
  'Upgrade: h2c',
  'X-Sluice-Backend: spoofed',
  'Set-Cookie: a=1; Path=/',
  'Set-Cookie: b=2; Path=/',
  'X-Dup: one',
  'X-Dup: two',
  'Content-Type: text/plain',
  '', 'ok',
].join('\r\n')

let origin: RawOrigin
let dp: TestDataPlane

beforeAll(async () => {
  origin = await startRawOrigin(ORIGIN_RESPONSE)
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

test('the client gets the origin headers minus hop-by-hop ones, with duplicates and set-cookie kept', async () => {
  const raw = await rawExchange(dp.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', (r) => r.endsWith('\r\n\r\nok'))
  const { status, headers, body } = parseRawResponse(raw)
  const names = headers.map(([n]) => n)
  const values = (name: string): string[] => headers.filter(([n]) => n === name).map(([, v]) => v)

  expect(status).toBe(200)
  expect(body).toBe('ok')
  for (const gone of ['x-internal', 'proxy-authenticate', 'proxy-connection', 'trailer', 'upgrade', 'x-sluice-backend']) {
    expect(names, gone).not.toContain(gone)
  }
  // Node's own keep-alive answer to this client, not the origin's values.
  expect(values('connection')).toEqual(['keep-alive'])
  expect(values('keep-alive')).toEqual(['timeout=65'])
  expect(values('set-cookie')).toEqual(['a=1; Path=/', 'b=2; Path=/'])
  expect(values('x-dup')).toEqual(['one', 'two'])
  expect(values('content-length')).toEqual(['2'])
  expect(values('content-type')).toEqual(['text/plain'])
})
