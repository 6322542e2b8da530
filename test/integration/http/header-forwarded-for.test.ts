import { expect, test } from 'vitest'
import { useOriginPlane } from '../../helpers/dataplane.js'

const f = useOriginPlane()

test('x-forwarded-for gets the client address appended to every inbound value', async () => {
  const res = await f.dp.client.request({
    path: '/', method: 'GET',
    headers: [['x-forwarded-for', '10.0.0.1'], ['x-forwarded-for', '10.0.0.2, 10.0.0.3']].flat(),
  })
  await res.body.text()
  expect(f.origin.requests[0]?.headers['x-forwarded-for']).toBe('10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1')
})
