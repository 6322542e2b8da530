const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/**
 * Host names → values, looked up straight from a Host header: the port is skipped and ASCII
 * letters compared case-insensitively while hashing, so a lookup allocates nothing (no slice, no
 * lower-casing). Open addressing over a power-of-two table at most half full.
 *
 * Keys are matched as given: the config lower-cases `match.host`, so a key with an upper-case
 * letter never matches (as a plain comparison with the lower-cased header would not).
 */
export class HostTable<T> {
  /** Slot → entry index, -1 for empty. */
  readonly #slots: Int32Array
  readonly #mask: number
  readonly #keys: string[] = []
  readonly #values: T[] = []
  /** Every key, for the rare header with a non-ASCII character (compared after toLowerCase). */
  readonly #byName: ReadonlyMap<string, T>
  /** The keys that a lower-cased header can equal: a header without port is looked up here first. */
  readonly #lowerCase = new Map<string, T>()

  constructor(entries: ReadonlyMap<string, T>) {
    this.#byName = entries
    let size = 8
    while (size < entries.size * 2) size *= 2
    this.#slots = new Int32Array(size).fill(-1)
    this.#mask = size - 1
    for (const [key, value] of entries) {
      if (key === key.toLowerCase()) this.#lowerCase.set(key, value)
      if (!isAscii(key)) continue // only reachable through the non-ASCII path, which uses #byName
      let slot = hashOf(key, key.length) & this.#mask
      while (this.#slots[slot]! >= 0) slot = (slot + 1) & this.#mask
      this.#slots[slot] = this.#keys.length
      this.#keys.push(key)
      this.#values.push(value)
    }
  }

  /** The value for the host of a Host header value ('Shop.Example.com:8080' finds 'shop.example.com'). */
  find(header: string): T | undefined {
    const end = hostEnd(header)
    // The common case, a lower-case host without port, is the key itself: V8's own string hash.
    if (end === header.length) {
      const value = this.#lowerCase.get(header)
      if (value !== undefined) return value
    }
    let h = FNV_OFFSET
    for (let i = 0; i < end; i++) {
      const c = header.charCodeAt(i)
      if (c >= 0x80) return this.#byName.get(hostOnly(header))
      h = Math.imul(h ^ lower(c), FNV_PRIME)
    }
    const keys = this.#keys
    for (let slot = h & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const entry = this.#slots[slot]!
      if (entry < 0) return undefined
      if (equalsHost(keys[entry]!, header, end)) return this.#values[entry]
    }
  }
}

/** 'Shop.Example.com:8080' → 'shop.example.com'; '[::1]:80' → '[::1]'. Allocates: not for the hot path. */
export function hostOnly(host: string): string {
  return host.slice(0, hostEnd(host)).toLowerCase()
}

/** Length of the host part of a Host header: up to the port's ':' (an IPv6 literal keeps its brackets). */
function hostEnd(host: string): number {
  const end = host.charCodeAt(0) === 0x5b ? host.indexOf(']') + 1 : host.indexOf(':')
  return end > 0 ? end : host.length
}

function hashOf(key: string, end: number): number {
  let h = FNV_OFFSET
  for (let i = 0; i < end; i++) h = Math.imul(h ^ lower(key.charCodeAt(i)), FNV_PRIME)
  return h
}

/** key === header[0, end) with ASCII letters of the header lower-cased. */
function equalsHost(key: string, header: string, end: number): boolean {
  if (key.length !== end) return false
  for (let i = 0; i < end; i++) if (key.charCodeAt(i) !== lower(header.charCodeAt(i))) return false
  return true
}

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false
  return true
}
