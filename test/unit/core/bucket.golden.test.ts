import { describe, expect, it } from 'vitest'
import { bucketOf, hashKey, murmurHash2, splitHash, thresholdFor } from '../../../src/core/bucket.js'
import { seededRandom } from '../../../src/util/random.js'

/**
 * The bucket hash is a compatibility promise: the same user lands on the same side in every replica,
 * every version, and in a real nginx `split_clients`. Changing a golden value here moves users
 * between sides and is a breaking change.
 */

/**
 * An independent MurmurHash2, transcribed from nginx src/core/ngx_murmurhash.c with BigInt
 * arithmetic (no Math.imul, no >>> tricks), so a shared mistake with src/core/bucket.ts is unlikely.
 */
function referenceMurmur2(data: Uint8Array): number {
  const m = 0x5bd1e995n
  const mask = 0xffffffffn
  let len = data.length
  let h = BigInt(len) & mask // h = 0 ^ len
  let i = 0
  while (len >= 4) {
    let k = BigInt(data[i]!) | (BigInt(data[i + 1]!) << 8n) | (BigInt(data[i + 2]!) << 16n)
      | (BigInt(data[i + 3]!) << 24n)
    k = (k * m) & mask
    k ^= k >> 24n
    k = (k * m) & mask
    h = (h * m) & mask
    h ^= k
    i += 4
    len -= 4
  }
  // switch (len) { case 3: … case 2: … case 1: h ^= data[0]; h *= m; } with fall-through
  if (len === 3) h ^= BigInt(data[i + 2]!) << 16n
  if (len >= 2) h ^= BigInt(data[i + 1]!) << 8n
  if (len >= 1) h = ((h ^ BigInt(data[i]!)) * m) & mask
  h ^= h >> 13n
  h = (h * m) & mask
  h ^= h >> 15n
  return Number(h)
}

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8')

/** Computed once with referenceMurmur2 and pinned as literals. */
const GOLDEN_STRINGS: ReadonlyArray<readonly [string, number]> = [
  ['', 0],
  ['a', 2456313694], // tail of 1
  ['ab', 446775395], // tail of 2
  ['abc', 324500635], // tail of 3
  ['abcd', 646393889], // one block, no tail
  ['abcde', 1594468574], // one block, tail of 1
  ['abcdefgh', 69371878],
  ['checkout:', 3597245894], // a route name with an empty key
  ['checkout:user-42', 1895822932],
  ['checkout:alice@example.com', 2392241998],
  ['checkout:550e8400-e29b-41d4-a716-446655440000', 1165127813],
  ['route-a:1', 2466887672],
  ['ünïcødé', 478939961], // UTF-8 bytes, not UTF-16 code units
  ['checkout:ünïcødé', 2227386543],
  ['🚀', 1616067805], // 4 UTF-8 bytes from a surrogate pair
  ['checkout:😀', 4260817764],
  ['hello world', 1151865881],
  ['The quick brown fox jumps over the lazy dog', 556214736],
  ['x'.repeat(1000), 1891352362],
]

/** Bytes with the high bit set, in blocks and in every tail position (sign-extension traps). */
const GOLDEN_BYTES: ReadonlyArray<readonly [number[], number]> = [
  [[0xff], 2664983274],
  [[0xff, 0xfe], 2530721265],
  [[0x80, 0x81, 0x82], 2105878428],
  [[0xff, 0xff, 0xff, 0xff], 346862554],
  [[0xff, 0xff, 0xff, 0xff, 0xff], 3100966083],
]

describe('murmurHash2 golden values', () => {
  it.each(GOLDEN_STRINGS)('the reference implementation gives the pinned value for %j', (s, golden) => {
    expect(referenceMurmur2(utf8(s))).toBe(golden)
  })

  it.each(GOLDEN_STRINGS)('murmurHash2(%j) is pinned', (s, golden) => {
    expect(murmurHash2(utf8(s))).toBe(golden)
  })

  it.each(GOLDEN_BYTES)('murmurHash2(%j) is pinned', (bytes, golden) => {
    expect(referenceMurmur2(Uint8Array.from(bytes))).toBe(golden)
    expect(murmurHash2(Uint8Array.from(bytes))).toBe(golden)
  })

  it('splitHash(name, key) hashes "name:key"', () => {
    expect(splitHash('checkout', 'user-42')).toBe(1895822932)
    expect(splitHash('checkout', '')).toBe(3597245894)
    expect(splitHash('checkout', 'ünïcødé')).toBe(2227386543)
    expect(splitHash('checkout', '😀')).toBe(4260817764)
  })
})

/** Random strings mixing ASCII, Latin-1, BMP and astral characters, lengths 0..40. */
function randomString(rand: () => number, asciiOnly: boolean): string {
  const pool = asciiOnly ? ['a', 'Z', '0', '-', '_', '@', '.', '~', ' ', '\x7f']
    : ['a', 'Z', '0', ':', 'é', 'ß', 'ü', '中', '€', '😀', '🚀', '\u0080', '\uffff']
  const len = Math.floor(rand() * 41)
  let s = ''
  for (let i = 0; i < len; i++) s += pool[Math.floor(rand() * pool.length)]!
  return s
}

describe('hashKey (the allocation-free path) equals murmurHash2 over UTF-8', () => {
  it.each([['ASCII', true], ['mixed Unicode', false]] as const)('on 5,000 random %s prefix/key pairs', (_what, ascii) => {
    const rand = seededRandom(ascii ? 1 : 2)
    for (let i = 0; i < 5_000; i++) {
      const prefix = randomString(rand, ascii)
      const key = randomString(rand, ascii)
      expect(hashKey(prefix, key), `${prefix}|${key}`).toBe(referenceMurmur2(utf8(prefix + key)))
    }
  })

  it('on every split between prefix and key of the same string', () => {
    const s = 'checkout:alice@example.com'
    for (let cut = 0; cut <= s.length; cut++) expect(hashKey(s.slice(0, cut), s.slice(cut))).toBe(2392241998)
  })
})

describe('thresholdFor', () => {
  const UINT32 = 0xffffffff

  it('0 % sends nobody to new', () => {
    expect(thresholdFor(0)).toBe(0)
    expect(thresholdFor(-5)).toBe(0)
  })

  it('0.01 % is the first nginx step', () => {
    expect(thresholdFor(1)).toBe(Math.floor(UINT32 / 10_000))
    expect(thresholdFor(1)).toBe(429496)
  })

  it('5.5 % is nginx\'s floor(550 × 0xffffffff / 10000)', () => {
    expect(thresholdFor(550)).toBe(236223201)
    expect(thresholdFor(550)).toBe(Number((550n * 0xffffffffn) / 10_000n))
  })

  it('matches nginx\'s 64-bit integer arithmetic for every basis point below 100 %', () => {
    for (let bp = 1; bp < 10_000; bp++) expect(thresholdFor(bp)).toBe(Number((BigInt(bp) * 0xffffffffn) / 10_000n))
  })

  it('100 % sends everyone to new, the top hash value included', () => {
    expect(0xffffffff < thresholdFor(10_000)).toBe(true)
    expect(0xffffffff < thresholdFor(12_000)).toBe(true)
  })

  it('never decreases as the percent grows', () => {
    for (let bp = 1; bp <= 10_000; bp++) expect(thresholdFor(bp)).toBeGreaterThan(thresholdFor(bp - 1))
  })
})

describe('monotonicity: nobody leaves new when the percent grows', () => {
  const LADDER = [0, 1, 5, 10, 100, 500, 550, 725, 1_000, 2_500, 5_000, 7_500, 9_999, 10_000]
  const keys = Array.from({ length: 2_000 }, (_, i) => `user-${i}-${(i * 2654435761) >>> 0}`)

  it('a key on new at p stays on new at every higher percent of the ladder', () => {
    const hashes = keys.map((k) => splitHash('checkout', k))
    for (let i = 0; i < LADDER.length; i++) {
      for (let j = i + 1; j < LADDER.length; j++) {
        const p = thresholdFor(LADDER[i]!)
        const q = thresholdFor(LADDER[j]!)
        for (const h of hashes) if (h < p) expect(h < q).toBe(true)
      }
    }
  })

  it('the ladder actually moves people (the check above is not vacuous)', () => {
    const onNew = (bp: number): number => keys.filter((k) => splitHash('checkout', k) < thresholdFor(bp)).length
    expect(onNew(0)).toBe(0)
    expect(onNew(1_000)).toBeGreaterThan(100)
    expect(onNew(1_000)).toBeLessThan(300)
    expect(onNew(10_000)).toBe(keys.length)
  })
})

describe('bucketOf', () => {
  it('places a hash between its bucket\'s threshold and the next one', () => {
    const rand = seededRandom(3)
    const hashes = [0, 1, 429495, 429496, 429497, 236223200, 236223201, 0x7fffffff, 0xfffffffe, 0xffffffff]
    for (let i = 0; i < 5_000; i++) hashes.push(Math.floor(rand() * 0x100000000))
    for (const h of hashes) {
      const b = bucketOf(h)
      expect(b).toBeGreaterThanOrEqual(0)
      expect(b).toBeLessThanOrEqual(9_999)
      expect(thresholdFor(b)).toBeLessThanOrEqual(h)
      expect(h).toBeLessThan(thresholdFor(b + 1))
    }
  })

  it('agrees with the threshold test: bucketOf(h) < p exactly when h < thresholdFor(p)', () => {
    const rand = seededRandom(4)
    for (let i = 0; i < 5_000; i++) {
      const h = splitHash('checkout', `k${i}`)
      const p = Math.floor(rand() * 10_001)
      expect(bucketOf(h) < p).toBe(h < thresholdFor(p))
    }
  })

  it('has fixed edges: 0 → 0, the first 0.01 % step, the top hash → 9999', () => {
    expect(bucketOf(0)).toBe(0)
    expect(bucketOf(429495)).toBe(0)
    expect(bucketOf(429496)).toBe(1)
    expect(bucketOf(0xffffffff)).toBe(9_999)
  })
})
