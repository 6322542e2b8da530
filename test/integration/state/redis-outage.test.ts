import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isSluiceError } from '../../../src/util/errors.js'
import type { RedisStateStore } from '../../../src/state/redis/store.js'
import { live, ref, REDIS_SERVER, StoreRig, suiteTitle, uniquePrefix, waitFor } from './fixture.js'
import { sleep } from '../../helpers/wait-for.js'

const FAIL_FAST_MS = 1000

async function rejection(work: Promise<unknown>): Promise<{ ms: number; err: unknown }> {
  const started = performance.now()
  try {
    await work
  } catch (err) {
    return { ms: performance.now() - started, err }
  }
  throw new Error('expected a rejection')
}

function expectUnavailable({ ms, err }: { ms: number; err: unknown }): void {
  expect(isSluiceError(err) && err.code).toBe('SLUICE_ERR_STATE_STORE')
  expect((err as Error).message).toMatch(/^the state store \(Redis\) is unavailable: /)
  expect(ms).toBeLessThan(FAIL_FAST_MS)
}

describe.skipIf(!REDIS_SERVER)(suiteTitle('redis store: Redis outage, restart and resync'), () => {
  const rig = new StoreRig()
  beforeAll(() => rig.start())
  afterAll(() => rig.close())

  const keyPrefix = uniquePrefix()
  const ups: Record<string, boolean[]> = { a: [], b: [], c: [] }
  const heardByB: string[] = []
  let a: RedisStateStore
  let b: RedisStateStore

  it('two replicas agree while Redis is up', async () => {
    a = await rig.store({ keyPrefix, name: 'a', onUp: (up) => ups.a!.push(up) })
    b = await rig.store({ keyPrefix, name: 'b', onUp: (up) => ups.b!.push(up) })
    b.onChange((r) => heardByB.push(r.name))
    await a.update(ref, 0, live(500), undefined)
    await a.setMember(ref, 'beta', 'alice', true)
    await waitFor(() => b.snapshot().members.get('route/checkout')?.get('beta')?.added.has('alice') === true, 2000, 'B to follow A')
    expect(ups).toMatchObject({ a: [true], b: [true] })
  })

  it('Redis down: the last snapshot keeps serving, calls fail fast with SLUICE_ERR_STATE_STORE, onUp(false) once', async () => {
    await rig.server.stop()
    await waitFor(() => ups.a!.length === 2 && ups.b!.length === 2, 2000, 'both replicas to notice')
    expect(ups).toMatchObject({ a: [true, false], b: [true, false] })
    expect(b.get(ref)).toMatchObject({ percentBp: 500, version: 1 })
    expect(b.snapshot().members.get('route/checkout')?.get('beta')?.added.has('alice')).toBe(true)

    expectUnavailable(await rejection(a.update(ref, 1, live(900), undefined)))
    expectUnavailable(await rejection(a.setMember(ref, 'beta', 'bob', true)))
    expectUnavailable(await rejection(b.history(ref, 10)))
    expectUnavailable(await rejection(b.ping()))
    expectUnavailable(await rejection(b.acquireLease('controller', 'b', 1000)))
    expect(a.get(ref)?.percentBp).toBe(500) // nothing half-applied
  })

  it('a replica starting during the outage: load() fails fast, and it catches up by itself later', async () => {
    const c = await rig.store({ keyPrefix, name: 'c', load: false, onUp: (up) => ups.c!.push(up) })
    expectUnavailable(await rejection(c.load()))
    expect(ups.c).toEqual([false])
    expect(c.get(ref)).toBeUndefined()

    // Redis comes back EMPTY (no persistence in the test server): the replicas restore what it lost.
    await rig.server.restart()
    await waitFor(() => ups.a!.length === 3 && ups.b!.length === 3 && ups.c!.length === 2, 5000, 'every replica to be back')
    expect(ups).toEqual({ a: [true, false, true], b: [true, false, true], c: [false, true] })
    await waitFor(() => c.get(ref)?.version === 1, 2000, 'C to receive the restored state')
    expect(c.snapshot().members.get('route/checkout')?.get('beta')?.added.has('alice')).toBe(true)
    const raw = rig.raw()
    expect(await raw.hget(`${keyPrefix}:{route/checkout}:live`, 'v')).toBe('1')
  })

  it('after the restart a change through A reaches B, continuing from the restored version', async () => {
    const r = await a.update(ref, 1, live(900), undefined)
    expect(r).toMatchObject({ ok: true, live: { version: 2 } })
    await waitFor(() => b.get(ref)?.percentBp === 900, 2000, 'B to see the change')
  })

  it('a change B never heard of is picked up by the resync after its subscription drops', async () => {
    const raw = rig.raw()
    // A change no notice announces: written straight into the live hash, no PUBLISH (as if its
    // notice was lost while B was cut off). Pub/sub cannot deliver it; only B's resync can.
    const liveKey = `${keyPrefix}:{route/checkout}:live`
    const data = JSON.parse((await raw.hget(liveKey, 'd'))!) as Record<string, unknown>
    expect(await raw.hget(liveKey, 'v')).toBe('2')
    await raw.hset(liveKey, 'v', '3', 'd', JSON.stringify({ ...data, percentBp: 1200 }))
    await sleep(300) // nothing may bring it to B while B stays connected
    expect(b.get(ref)).toMatchObject({ percentBp: 900, version: 2 })

    const clients = String(await raw.client('LIST'))
    const subId = /id=(\d+) [^\n]*name=(\S+)/g
    const id = [...clients.matchAll(subId)].find((m) => m[2] === `${keyPrefix}:b:sub`)?.[1]
    expect(id).toBeDefined()
    heardByB.length = 0
    await raw.client('KILL', 'ID', id!)
    await waitFor(() => b.get(ref)?.percentBp === 1200, 5000, 'B to resync')
    expect(b.get(ref)?.version).toBe(3)
    expect(ups.b!.slice(-2)).toEqual([false, true])
    expect(heardByB).toContain('checkout')
  })
})
