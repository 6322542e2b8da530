import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RedisStateStore } from '../../../src/state/redis/store.js'
import type { TargetLive } from '../../../src/state/store.js'
import { event, live, ref, REDIS_SERVER, StoreRig, suiteTitle, uniquePrefix, waitFor } from './fixture.js'

const REPLICAS = 10
const UPDATES = 200

describe.skipIf(!REDIS_SERVER)(suiteTitle('redis store: compare-and-set under contention'), () => {
  const rig = new StoreRig()
  beforeAll(() => rig.start())
  afterAll(() => rig.close())

  it(`${REPLICAS} replicas race ${UPDATES} increments: every success is one version, nothing is lost`, async () => {
    const keyPrefix = uniquePrefix()
    const replicas = await Promise.all(Array.from({ length: REPLICAS }, (_, i) => rig.store({ keyPrefix, name: `r${i}` })))
    const created = await replicas[0]!.update(ref, 0, live(0), undefined)
    expect(created.ok).toBe(true)
    let successes = 1
    let conflicts = 0

    // Each increment reads a (possibly stale) version and retries with the current one it is handed back.
    const increment = async (store: RedisStateStore): Promise<void> => {
      let cur: TargetLive | undefined = store.get(ref)
      for (;;) {
        const base = cur ?? { percentBp: 0, version: 1 }
        const next = base.percentBp + 1
        const r = await store.update(ref, base.version, live(next), event(base.percentBp, next))
        if (r.ok) { successes++; return }
        conflicts++
        cur = r.current
      }
    }
    const started = performance.now()
    await Promise.all(replicas.map(async (store) => {
      for (let i = 0; i < UPDATES / REPLICAS; i++) await increment(store)
    }))
    console.log(`CAS contention: ${UPDATES} increments by ${REPLICAS} replicas in ${(performance.now() - started).toFixed(0)} ms, ${conflicts} conflicts retried`)

    expect(conflicts).toBeGreaterThan(0) // it really was a race
    const history = await replicas[0]!.history(ref, 1000)
    expect(history).toHaveLength(UPDATES)
    // Serialised: each event continues exactly where the previous one ended.
    expect(history.map((e) => e.to.percentBp)).toEqual(Array.from({ length: UPDATES }, (_, i) => i + 1))
    for (const store of replicas) {
      await waitFor(() => store.get(ref)?.version === successes, 2000, 'every replica to converge')
      expect(store.get(ref)).toMatchObject({ percentBp: UPDATES, version: UPDATES + 1 })
    }
  })
})
