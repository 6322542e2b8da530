import { expect, test } from 'vitest'
import { useCheckoutPlane } from '../../helpers/dataplane.js'

const f = useCheckoutPlane({ percentBp: 1_000, sticky: [{ kind: 'header', name: 'x-user-id' }] })

test('10,000 distinct keys at 10 % send 10 % ± 1 of them to new', async () => {
  const KEYS = 10_000
  const CONCURRENCY = 32
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < KEYS) {
      const id = `user-${next++}`
      const res = await f.dp.client.request({ path: '/', method: 'GET', headers: { 'x-user-id': id } })
      await res.body.text()
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))

  const share = f.newB.requests.length / KEYS
  expect(f.oldB.requests.length + f.newB.requests.length).toBe(KEYS)
  expect(share).toBeGreaterThanOrEqual(0.09)
  expect(share).toBeLessThanOrEqual(0.11)
})
