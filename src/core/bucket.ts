/**
 * The sticky bucket: nginx `split_clients`, bit for bit.
 *
 * nginx hashes the string with 32-bit MurmurHash2 (seed 0, src/core/ngx_murmurhash.c) and sends
 * it to the first part whose cumulative threshold is above the hash; a part of P % has the threshold
 * ⌊P×100 × 0xffffffff / 10000⌋ (src/http/modules/ngx_http_split_clients_module.c). With `new` listed
 * first, a key on new at 5 % is on new at every higher percent: the split is monotone.
 *
 * The hash is over the UTF-8 bytes of `NAME:KEY`, never JS UTF-16 code units. Changing anything here
 * moves users between sides: the golden tests in test/unit/core/bucket.golden.test.ts pin it.
 */

const M = 0x5bd1e995
const FULL_BP = 10_000
const UINT32_MAX = 0xffffffff

/** MurmurHash2, 32-bit, seed 0, over bytes; nginx's ngx_murmur_hash2. */
export function murmurHash2(data: Uint8Array): number {
  return murmurHash2Prefix(data, data.length)
}

/** MurmurHash2 of the first `length` bytes of `data`. */
function murmurHash2Prefix(data: Uint8Array, length: number): number {
  let len = length
  let h = len >>> 0
  let i = 0
  while (len >= 4) {
    let k = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
    i += 4
    len -= 4
  }
  // The tail, as nginx's fall-through switch does it.
  if (len >= 3) h ^= data[i + 2]! << 16
  if (len >= 2) h ^= data[i + 1]! << 8
  if (len >= 1) h = Math.imul(h ^ data[i]!, M)
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h >>> 0
}

/**
 * Reused for every hash: the key's UTF-8 bytes are written here by the native encoder (fast, and
 * correct for any input), so the hot path allocates nothing. Grows for unusually long keys.
 * Safe to share: hashing is synchronous.
 */
let scratch = Buffer.allocUnsafe(512)

/** MurmurHash2 of the UTF-8 bytes of `prefix + key` (the route's `NAME:` and the key). */
export function hashKey(prefix: string, key: string): number {
  const worst = (prefix.length + key.length) * 3 // UTF-8 needs at most 3 bytes per UTF-16 unit
  if (worst > scratch.length) scratch = Buffer.allocUnsafe(Math.max(worst, scratch.length * 2))
  // Keys are almost always ASCII (ids, e-mails, UUIDs): copying char codes is cheaper than two
  // native encoder calls; anything else goes through the UTF-8 encoder.
  let n = copyAscii(prefix, scratch, 0)
  if (n >= 0) n = copyAscii(key, scratch, n)
  if (n < 0) {
    n = scratch.write(prefix, 0, 'utf8')
    n += scratch.write(key, n, 'utf8')
  }
  return murmurHash2Prefix(scratch, n)
}

/** Copies an ASCII string's bytes to `at`; returns the end offset, or -1 at the first non-ASCII char. */
function copyAscii(s: string, buf: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0x7f) return -1
    buf[at + i] = c
  }
  return at + s.length
}

/** The hash of `NAME:KEY`, as `split_clients "NAME:${key}"` computes it. */
export function splitHash(name: string, key: string): number {
  return hashKey(name + ':', key)
}

/**
 * The cumulative threshold for a share of `percentBp` basis points: a hash below it goes to new.
 * 100 % is special-cased to "everyone": nginx before 1.31.2 left the top hash value unassigned there.
 */
export function thresholdFor(percentBp: number): number {
  if (percentBp >= FULL_BP) return UINT32_MAX + 1
  if (percentBp <= 0) return 0
  return Math.floor((percentBp * UINT32_MAX) / FULL_BP)
}

/** The bucket 0..9999 a hash falls in: the smallest percent (in bp) at which it is on new, minus one. */
export function bucketOf(hash: number): number {
  // thresholdFor(bp) is monotone; binary search for the first bp whose threshold exceeds the hash.
  let lo = 1
  let hi = FULL_BP
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (hash < thresholdFor(mid)) hi = mid
    else lo = mid + 1
  }
  return lo - 1
}
