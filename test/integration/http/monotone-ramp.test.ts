import { expect, test } from 'vitest'
import { useCheckoutPlane } from '../../helpers/dataplane.js'

const f = useCheckoutPlane({ percentBp: 500, sticky: [{ kind: 'header', name: 'x-user-id' }] })

const KEYS = Array.from({ length: 2_000 }, (_, i) => `ramp-${i}`)

async function keysOnNew(): Promise<Set<string>> {
  const onNew = new Set<string>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < KEYS.length) {
      const id = KEYS[next++]!
      const res = await f.dp.client.request({ path: '/', method: 'GET', headers: { 'x-user-id': id } })
      if ((await res.body.text()) === 'new') onNew.add(id)
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  return onNew
}

test('ramping 5 % → 10 % live moves users onto new and nobody off it', async () => {
  const at5 = await keysOnNew()
  f.dp.setPercent('checkout', 1_000)
  const at10 = await keysOnNew()

  expect(at5.size).toBeGreaterThan(0)
  expect(at10.size).toBeGreaterThan(at5.size)
  const left = [...at5].filter((k) => !at10.has(k))
  expect(left).toEqual([])
})
