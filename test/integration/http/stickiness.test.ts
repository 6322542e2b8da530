import { expect, test } from 'vitest'
import { useCheckoutPlane } from '../../helpers/dataplane.js'

const f = useCheckoutPlane({ percentBp: 5_000, sticky: [{ kind: 'header', name: 'x-user-id' }] })

async function sideFor(id: string): Promise<string> {
  const res = await f.dp.client.request({ path: '/', method: 'GET', headers: { 'x-user-id': id } })
  return res.body.text()
}

test('the same key lands on the same side 50 times in a row', async () => {
  // At 50 % both sides get keys, so "always the same side" is not the trivial answer.
  const keys = Array.from({ length: 20 }, (_, i) => `sticky-${i}`)
  const sides = new Set<string>()
  for (const key of keys) {
    const seen = new Set<string>()
    for (let i = 0; i < 50; i++) seen.add(await sideFor(key))
    expect([...seen], key).toHaveLength(1)
    sides.add([...seen][0]!)
  }
  expect([...sides].sort()).toEqual(['new', 'old'])
})
