import { describe, expect, it } from 'vitest'
import { FingerprintSet } from '../../../src/util/fingerprint-set.js'
import { seededRandom } from '../../../src/util/random.js'

describe('FingerprintSet', () => {
  it('counts distinct fingerprints once, 0 included', () => {
    const s = new FingerprintSet()
    expect(s.add(42)).toBe(true)
    expect(s.add(42)).toBe(false)
    expect(s.add(0)).toBe(true)
    expect(s.add(0xffffffff)).toBe(true)
    expect(s.size).toBe(3)
    expect(s.has(42) && s.has(0) && s.has(0xffffffff)).toBe(true)
    expect(s.has(7)).toBe(false)
  })

  it('grows and keeps every member (colliding low bits included)', () => {
    const s = new FingerprintSet(1 << 20, 4)
    for (let i = 1; i <= 50_000; i++) s.add(i * 1024) // same low bits: long probe chains
    expect(s.size).toBe(50_000)
    for (let i = 1; i <= 50_000; i++) if (!s.has(i * 1024)) throw new Error(`lost ${i * 1024}`)
    expect(s.has(3)).toBe(false)
  })

  it('a million distinct keys cost 8 MiB, within the 64 MB budget per route', () => {
    const rand = seededRandom(13)
    const s = new FingerprintSet()
    const truth = new Set<number>()
    while (truth.size < 1_000_000) {
      const f = Math.floor(rand() * 0x100000000)
      truth.add(f)
      s.add(f)
    }
    expect(s.size).toBe(truth.size)
    expect(s.bytes).toBe(8 * 1024 * 1024)
  })

  it('stops growing at its bound: refuses new fingerprints, keeps the old ones', () => {
    const s = new FingerprintSet(64, 16)
    let added = 0
    for (let i = 1; i <= 100; i++) if (s.add(i)) added++
    expect(added).toBe(48) // 3/4 of 64 slots
    expect(s.size).toBe(48)
    expect(s.saturated).toBe(true)
    expect(s.bytes).toBe(64 * 4)
    expect(s.has(1) && s.has(48)).toBe(true)
    expect(s.add(1)).toBe(false)
  })
})
