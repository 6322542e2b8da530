import { describe, expect, it } from 'vitest'
import { SHARD_ENTRIES, ShardedMap, stringMap } from '../../../src/util/sharded-map.js'

describe('ShardedMap', () => {
  it('behaves as a Map: get, has, set, delete, size, iteration of every entry', () => {
    const m = new ShardedMap<number>(SHARD_ENTRIES * 8)
    const model = new Map<string, number>()
    for (let i = 0; i < 50_000; i++) {
      const key = `k${(i * 7919) % 20_000}${'x'.repeat(i % 90)}`
      if (i % 5 === 0) expect(m.delete(key)).toBe(model.delete(key))
      else { m.set(key, i); model.set(key, i) }
    }
    expect(m.size).toBe(model.size)
    for (const [k, v] of model) expect(m.get(k)).toBe(v)
    expect(m.get('absent')).toBeUndefined()
    expect(m.has('absent')).toBe(false)
    expect(new Map(m)).toEqual(model)
    expect(new Set(m.keys())).toEqual(new Set(model.keys()))
    let n = 0
    m.forEach(() => n++)
    expect(n).toBe(model.size)
  })

  it('spreads keys with a common prefix and suffix evenly over its shards', () => {
    const m = new ShardedMap<true>(SHARD_ENTRIES * 16)
    for (let i = 0; i < 1_000_000; i++) m.set(`user-${i}@example.com`, true)
    const sizes = m.shardSizes()
    expect(sizes.length).toBe(16)
    // No shard far above the mean, so none grows into a long rehash.
    expect(Math.max(...sizes)).toBeLessThan(1.1 * (1_000_000 / 16))
    expect(m.size).toBe(1_000_000)
  })

  it('stringMap: a plain Map up to SHARD_ENTRIES, sharded beyond', () => {
    expect(stringMap(SHARD_ENTRIES)).toBeInstanceOf(Map)
    expect(stringMap(SHARD_ENTRIES + 1)).toBeInstanceOf(ShardedMap)
  })
})
