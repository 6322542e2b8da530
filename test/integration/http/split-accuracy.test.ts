import { expect, test } from 'vitest'
import { splitHash, thresholdFor } from '../../../src/core/bucket.js'
import { useCheckoutPlane } from '../../helpers/dataplane.js'

const f = useCheckoutPlane({ percentBp: 1_000, sticky: [{ kind: 'header', name: 'x-user-id' }] })

/**
 * The keys are fixed, so the split is known exactly: each key goes where the bucket function (pinned
 * by the golden tests and checked against nginx split_clients) puts it, and the total is a pinned
 * figure. A broad "10 % ± 1" range would also pass a proxy that ignored the key and drew at random.
 */
const KEYS = 10_000
const NEW_AT_10_PERCENT = 1_025 // of user-0 … user-9999 on route "checkout"; moving it moves users

test('10,000 fixed keys at 10 % land exactly where the bucket function puts them (1,025 on new)', async () => {
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

  const onNew = new Set(f.newB.requests.map((r) => String(r.headers['x-user-id'])))
  const onOld = new Set(f.oldB.requests.map((r) => String(r.headers['x-user-id'])))
  expect(f.oldB.requests.length + f.newB.requests.length).toBe(KEYS)
  const expected = Array.from({ length: KEYS }, (_, i) => `user-${i}`).filter((k) => splitHash('checkout', k) < thresholdFor(1_000))
  expect(expected).toHaveLength(NEW_AT_10_PERCENT)
  expect([...onNew].sort()).toEqual(expected.sort())
  expect(onOld.size).toBe(KEYS - NEW_AT_10_PERCENT)
})
