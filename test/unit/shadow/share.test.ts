import { describe, expect, it } from 'vitest'
import { hashKey, thresholdFor } from '../../../src/core/bucket.js'
import { inShadowShare } from '../../../src/core/shadow-share.js'
import { pathWithoutValues } from '../../../src/dataplane/http/shadow/leg.js'
import { parseSize } from '../../../src/util/size.js'

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)
const hashes = keys.map((k) => hashKey('checkout:', k))

function shadowedShare(splitBp: number, shadowBp: number): { share: number; set: Set<number> } {
  const t = thresholdFor(splitBp)
  const onOld = hashes.map((h, i) => [h, i] as const).filter(([h]) => h >= t)
  const set = new Set(onOld.filter(([h]) => inShadowShare(h, t, shadowBp)).map(([, i]) => i))
  return { share: set.size / onOld.length, set }
}

describe('the shadowed share (README "Shadow traffic")', () => {
  it('10,000 keys at 25 % → 25 % ± 1.5 of old\'s users, at any route percent', () => {
    for (const split of [0, 1_000, 5_000, 9_000]) {
      const { share } = shadowedShare(split, 2_500)
      expect(Math.abs(share - 0.25)).toBeLessThan(0.015)
    }
  })

  it('0 % shadows nobody, 100 % every user on old', () => {
    expect(shadowedShare(2_000, 0).share).toBe(0)
    expect(shadowedShare(2_000, 10_000).share).toBe(1)
    expect(shadowedShare(10_000, 10_000).set.size).toBe(0)
  })

  it('as the ramp moves users to new, the shadowed set only shrinks', () => {
    let prev = shadowedShare(0, 2_500).set
    for (const split of [500, 2_000, 5_000, 8_000]) {
      const next = shadowedShare(split, 2_500).set
      for (const i of next) expect(prev.has(i)).toBe(true)
      prev = next
    }
  })
})

describe('helpers', () => {
  it('samples show query names, never values', () => {
    expect(pathWithoutValues('/a?token=s&x=1&flag')).toBe('/a?token&x&flag')
    expect(pathWithoutValues('/a?')).toBe('/a')
    expect(pathWithoutValues('/a')).toBe('/a')
  })

  it('sizes take bytes or a unit', () => {
    expect(parseSize('1MiB')).toBe(1_048_576)
    expect(parseSize('100KB')).toBe(100_000)
    expect(parseSize('1.5KiB')).toBe(1536)
    expect(parseSize(4096)).toBe(4096)
    expect(() => parseSize('1 MB')).toThrow(/not a size/)
  })
})
