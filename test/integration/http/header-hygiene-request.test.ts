import { afterAll, beforeAll, expect, test } from 'vitest'
import { headerLines, startRawOrigin, type RawOrigin } from '../../helpers/backends.js'
import { rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

let origin: RawOrigin
let dp: TestDataPlane

beforeAll(async () => {
  origin = await startRawOrigin('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

const REQUEST = [
  'GET /h?q=1 HTTP/1.1',
  'Host: shop.example.com',
  'Connection: keep-alive, X-Hop, X-Forwarded-For, Via',
  'X-Hop: secret',
  'Keep-Alive: timeout=5',
  'TE: trailers',
  'Trailer: x-t',
  'Proxy-Authorization: Basic abc',
  'Proxy-Connection: keep-alive',
  'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA',
  'Upgrade: h2c',
  'Expect: 100-continue',
  'X-Sluice-Backend: new',
  'X-Sluice-Whatever: 1',
  'X-Forwarded-For: 10.9.9.9',
  'X-Forwarded-Proto: https',
  'X-Forwarded-Host: evil.example',
  'X-Dup: one',
  'X-Dup: two',
  'User-Agent: raw-test',
  '', '',
].join('\r\n')

test('the origin gets the client headers minus hop-by-hop ones, with x-forwarded-* and via set by sluice', async () => {
  const answer = await rawExchange(dp.port, REQUEST, (r) => r.endsWith('\r\n\r\nok'))
  expect(answer).toMatch(/HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nok$/)

  expect(origin.heads).toHaveLength(1)
  const head = origin.heads[0]!
  expect(head.split('\r\n')[0]).toBe('GET /h?q=1 HTTP/1.1')
  const lines = headerLines(head)
  const names = lines.map(([n]) => n)
  const values = (name: string): string[] => lines.filter(([n]) => n === name).map(([, v]) => v)

  for (const gone of ['x-hop', 'keep-alive', 'te', 'trailer', 'proxy-authorization', 'proxy-connection',
    'http2-settings', 'upgrade', 'expect', 'x-sluice-backend', 'x-sluice-whatever']) {
    expect(names, gone).not.toContain(gone)
  }
  // undici's own keep-alive marker is the only Connection header upstream; the client's tokens are gone.
  expect(values('connection')).toEqual(['keep-alive'])
  expect(values('host')).toEqual(['shop.example.com'])
  // The client's Connection named X-Forwarded-For, so its value went with this hop; the token
  // cannot delete what sluice adds after the filter.
  expect(values('x-forwarded-for')).toEqual(['127.0.0.1'])
  expect(values('x-forwarded-proto')).toEqual(['http'])
  expect(values('x-forwarded-host')).toEqual(['shop.example.com'])
  expect(values('via')).toEqual([expect.stringMatching(/^1\.1 sluice-[0-9a-f]{8}$/)])
  // Duplicates come from rawHeaders: both lines, in order.
  expect(values('x-dup')).toEqual(['one', 'two'])
  expect(values('user-agent')).toEqual(['raw-test'])
})
