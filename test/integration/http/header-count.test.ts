import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { parseRawResponse, rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

/**
 * Node keeps only the first 2000 header lines in req.headers/rawHeaders by default, while its parser
 * frames the body with all of them. Every header must be visible to the framing checks.
 */
let origin: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  origin = await startBackend('old')
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  await dp.close()
  await origin.close()
})

/** `n` filler header lines: far past Node's default 2000-line limit, well inside its 16 KB size limit. */
function filler(n: number): string {
  return 'x:1\r\n'.repeat(n)
}

const complete = (r: string): boolean => {
  const end = r.indexOf('\r\n\r\n')
  const len = /content-length: *(\d+)/i.exec(r)?.[1]
  if (end >= 0 && /transfer-encoding: *chunked/i.test(r.slice(0, end))) return r.endsWith('0\r\n\r\n')
  return end >= 0 && len !== undefined && r.length >= end + 4 + Number(len)
}

test('a transfer-encoding after 2100 other headers is still seen and refused when ambiguous', async () => {
  const raw = await rawExchange(dp.port, `POST /a HTTP/1.1\r\nhost: a\r\n${filler(2100)}transfer-encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, complete)
  const res = parseRawResponse(raw)
  expect(res.status).toBe(400)
  expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'bad_framing' } })
  expect(origin.requests.filter((r) => r.url === '/a')).toHaveLength(0)
})

test('a second host header after 2100 others is refused', async () => {
  const raw = await rawExchange(dp.port, `GET /b HTTP/1.1\r\nhost: a\r\n${filler(2100)}host: b\r\n\r\n`, complete)
  expect(parseRawResponse(raw).status).toBe(400)
  expect(origin.requests.filter((r) => r.url === '/b')).toHaveLength(0)
})

test('a chunked body announced after 2100 headers reaches the backend whole', async () => {
  const raw = await rawExchange(dp.port, `POST /c HTTP/1.1\r\nhost: a\r\n${filler(2100)}transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`, complete)
  expect(parseRawResponse(raw).status).toBe(200)
  const seen = origin.requests.find((r) => r.url === '/c')
  expect(seen?.body.toString()).toBe('abc')
})
