/**
 * Entries per shard the map is sized for. A JS Map grows by rehashing every entry in one
 * synchronous step: at a million entries that step alone blocks the event loop for 50–130 ms.
 * Shards of this size rehash in a few milliseconds.
 */
export const SHARD_ENTRIES = 1 << 16

/**
 * A string-keyed map split over several Maps by a hash of the key, so that filling it with a
 * million entries never holds the event loop in one long rehash. Only worth its per-lookup hash
 * for big maps: `stringMap` picks a plain Map up to SHARD_ENTRIES.
 */
export class ShardedMap<V> implements ReadonlyMap<string, V> {
  readonly #shards: Map<string, V>[]
  readonly #mask: number

  /** `expected`: about how many entries it will hold (sizes the number of shards, a power of two). */
  constructor(expected: number) {
    let n = 1
    while (n * SHARD_ENTRIES < expected) n *= 2
    this.#shards = Array.from({ length: n }, () => new Map<string, V>())
    this.#mask = n - 1
  }

  get size(): number {
    let n = 0
    for (const s of this.#shards) n += s.size
    return n
  }

  /** Entries per shard: how evenly the keys spread (what keeps each rehash short). */
  shardSizes(): number[] {
    return this.#shards.map((s) => s.size)
  }

  get(key: string): V | undefined {
    return this.#shard(key).get(key)
  }

  has(key: string): boolean {
    return this.#shard(key).has(key)
  }

  set(key: string, value: V): this {
    this.#shard(key).set(key, value)
    return this
  }

  delete(key: string): boolean {
    return this.#shard(key).delete(key)
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this)
  }

  *entries(): MapIterator<[string, V]> {
    for (const s of this.#shards) yield* s.entries()
  }

  *keys(): MapIterator<string> {
    for (const s of this.#shards) yield* s.keys()
  }

  *values(): MapIterator<V> {
    for (const s of this.#shards) yield* s.values()
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries()
  }

  #shard(key: string): Map<string, V> {
    return this.#shards[this.#mask === 0 ? 0 : shardHash(key) & this.#mask]!
  }
}

/** A plain Map for up to SHARD_ENTRIES expected entries (the hot path pays no hash), a ShardedMap beyond. */
export function stringMap<V>(expected: number): Map<string, V> | ShardedMap<V> {
  return expected <= SHARD_ENTRIES ? new Map<string, V>() : new ShardedMap<V>(expected)
}

/** Characters hashed from each end of a key: a long key (a cookie) costs no more than a short one. */
const HASHED_CHARS = 32

/** FNV-1a over the key's length and up to 32 characters from each end, with a final mix. */
function shardHash(key: string): number {
  let h = Math.imul(0x811c9dc5 ^ key.length, 0x01000193)
  const n = key.length
  const head = Math.min(n, HASHED_CHARS)
  for (let i = 0; i < head; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  for (let i = Math.max(head, n - HASHED_CHARS); i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return (h ^ (h >>> 15)) >>> 0
}
