import { expect, test } from 'vitest'
import { rawExchange, useOriginPlane } from '../../helpers/dataplane.js'

/**
 * Request-smuggling vectors (Appendix A.2): what reaches the origin must be
 * exactly one well-framed request per client request, or nothing. The origin is a keep-alive Node
 * server that logs every request it parses, so a desync would show up as an extra entry.
 */

const f = useOriginPlane()

const HIDDEN = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'

const REFUSED: Array<[string, string]> = [
  ['transfer-encoding other than chunked',
    'POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['transfer-encoding on HTTP/1.0',
    'POST /a HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['content-length together with transfer-encoding',
    `POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${HIDDEN}`],
  ['two content-length headers',
    'POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello'],
  ['two transfer-encoding headers',
    'POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['two host headers',
    'GET /a HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n'],
  ['an HTTP/0.9 request line (no version), even with headers',
    'GET /a\r\nHost: x\r\n\r\n'],
]

for (const [name, payload] of REFUSED) {
  test(`${name} → 400, connection closed, nothing reaches the origin`, async () => {
    const before = f.origin.requests.length
    const answer = await rawExchange(f.dp.port, payload)

    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(answer.toLowerCase()).toContain('connection: close')
    await probe()
    expect(f.origin.requests.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual(['GET /probe'])
  })
}

test('a chunked DELETE hiding a request in its body reaches the f.origin as one DELETE with that body', async () => {
  const before = f.origin.requests.length
  const chunk = `${HIDDEN.length.toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`
  const answer = await rawExchange(f.dp.port, `DELETE /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`,
    (r) => r.endsWith('\r\n0\r\n\r\n'))

  expect(answer).toMatch(/^HTTP\/1\.1 200 /)
  await probe()
  const seen = f.origin.requests.slice(before)
  expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(['DELETE /d', 'GET /probe'])
  expect(seen[0]?.body.toString('latin1')).toBe(HIDDEN)
})

test('transfer-encoding "chunked" in other case and spacing is accepted and forwarded once', async () => {
  const before = f.origin.requests.length
  const answer = await rawExchange(f.dp.port, 'POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  Chunked \r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    (r) => r.endsWith('\r\n0\r\n\r\n'))

  expect(answer).toMatch(/^HTTP\/1\.1 200 /)
  const seen = f.origin.requests.slice(before)
  expect(seen.map((r) => `${r.method} ${r.url} ${r.body.toString()}`)).toEqual(['POST /c hello'])
})

/** A normal request afterwards: if an upstream connection were desynced, a smuggled request would show here. */
async function probe(): Promise<void> {
  const res = await f.dp.client.request({ path: '/probe', method: 'GET' })
  expect(await res.body.text()).toBe('old')
}
