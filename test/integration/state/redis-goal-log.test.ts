import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GOAL_LOG_TTL_MS, type GoalChunk } from '../../../src/state/goal-log.js'
import { StoreRig, uniquePrefix } from './fixture.js'

const chunk = (n: number): GoalChunk => ({ stepStart: 7, exposed: { old: [n], new: [n + 1] }, conversions: [{ goal: 'purchase', side: 'new', keyHash: n + 1, value: 1.5 }] })

describe('redis store: the goal log', () => {
  const rig = new StoreRig()
  beforeAll(() => rig.start())
  afterAll(() => rig.close())

  it('replicas append to one list per route and rollout, read back in order, from any index, in bites', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    const b = await rig.store({ keyPrefix, name: 'b' })
    for (let i = 0; i < 25; i++) await (i % 2 ? a : b).goalLog.append('shop', 1000, chunk(i))
    const first = await a.goalLog.read('shop', 1000, 0)
    expect(first.chunks).toEqual(Array.from({ length: 20 }, (_, i) => chunk(i)))
    expect(first.next).toBe(20)
    expect(await b.goalLog.read('shop', 1000, 20)).toEqual({ chunks: [20, 21, 22, 23, 24].map(chunk), next: 25 })
    expect(await b.goalLog.read('shop', 1000, 25)).toEqual({ chunks: [], next: 25 })
    expect(await b.goalLog.read('shop', 2000, 0)).toEqual({ chunks: [], next: 0 }) // another rollout: another log

    const raw = rig.raw()
    const key = `${keyPrefix}:{route/shop}:goals:1000`
    const ttl = await raw.pttl(key)
    expect(ttl).toBeGreaterThan(GOAL_LOG_TTL_MS - 60_000)
    expect(ttl).toBeLessThanOrEqual(GOAL_LOG_TTL_MS)
    // Something that is not a chunk is skipped (the index still moves past it), never counted.
    await raw.rpush(key, 'not a chunk')
    await a.goalLog.append('shop', 1000, chunk(99))
    expect(await a.goalLog.read('shop', 1000, 25)).toEqual({ chunks: [chunk(99)], next: 27 })
  })
})
