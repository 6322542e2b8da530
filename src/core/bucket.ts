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
  let len = data.length
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
 * MurmurHash2 of the UTF-8 bytes of `prefix + key` without allocating when both are ASCII
 * (the usual case: ids, e-mails, UUIDs). `prefix` is the route name plus ':'.
 */
export function hashKey(prefix: string, key: string): number {
  const total = prefix.length + key.length
  if (!isAscii(prefix) || !isAscii(key)) return murmurHash2(Buffer.from(prefix + key, 'utf8'))
  let h = total >>> 0
  let i = 0
  for (; i + 4 <= total; i += 4) {
    let k = (byteAt(prefix, key, i) | (byteAt(prefix, key, i + 1) << 8) |
      (byteAt(prefix, key, i + 2) << 16) | (byteAt(prefix, key, i + 3) << 24)) >>> 0
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const rest = total - i
  if (rest >= 3) h ^= byteAt(prefix, key, i + 2) << 16
  if (rest >= 2) h ^= byteAt(prefix, key, i + 1) << 8
  if (rest >= 1) h = Math.imul(h ^ byteAt(prefix, key, i), M)
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h >>> 0
}

function byteAt(prefix: string, key: string, i: number): number {
  return i < prefix.length ? prefix.charCodeAt(i) : key.charCodeAt(i - prefix.length)
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false
  return true
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
