import { expect, test } from 'vitest'
import { parseRawResponse, rawExchange, useOriginPlane } from '../../helpers/dataplane.js'

const f = useOriginPlane()

test('an h2c upgrade is refused with 400 and never reaches the origin', async () => {
  const raw = await rawExchange(f.dp.port, [
    'GET / HTTP/1.1', 'Host: x', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c',
    'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', '', '',
  ].join('\r\n'))
  const res = parseRawResponse(raw)

  expect(res.status).toBe(400)
  expect(res.headers).toContainEqual(['connection', 'close'])
  expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'bad_request' } })
  expect(f.origin.requests).toHaveLength(0)
})
