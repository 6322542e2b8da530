/**
 * A set of 32-bit fingerprints (hashes of sticky keys) in one Uint32Array, open addressing with
 * linear probing: 4 bytes a slot, at most 3/4 full, so a million distinct keys cost 8 MiB
 * (2^21 slots) and no per-key object. 0 marks an empty slot, so a fingerprint of 0 is stored as 1.
 *
 * Two keys with the same 32-bit fingerprint count once: among n distinct keys about n / 2^33 of
 * them are lost that way (≈ 0.01 % at a million), far below any effect worth judging.
 *
 * Bounded: the table never grows past `maxSlots`; once it is 3/4 full, new fingerprints are not
 * added (`add` answers false, `saturated` turns true) rather than taking more memory.
 */
export class FingerprintSet {
  #slots: Uint32Array
  #size = 0
  #saturated = false

  constructor(readonly maxSlots = 1 << 23, initialSlots = 1 << 10) {
    this.#slots = new Uint32Array(Math.min(initialSlots, maxSlots))
  }

  get size(): number {
    return this.#size
  }

  /** True once a fingerprint was refused because the set is at its bound. */
  get saturated(): boolean {
    return this.#saturated
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.#slots.byteLength
  }

  has(fingerprint: number): boolean {
    const f = fingerprint >>> 0 || 1
    const slots = this.#slots
    const mask = slots.length - 1
    for (let i = f & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!
      if (s === f) return true
      if (s === 0) return false
    }
  }

  /** Adds the fingerprint; true when it was not there before (and fit). */
  add(fingerprint: number): boolean {
    const f = fingerprint >>> 0 || 1
    if (this.#size + 1 > (this.#slots.length * 3) / 4 && !this.#grow()) {
      if (!this.has(f)) this.#saturated = true
      return false
    }
    return this.#insert(this.#slots, f)
  }

  #insert(slots: Uint32Array, f: number): boolean {
    const mask = slots.length - 1
    for (let i = f & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!
      if (s === f) return false
      if (s === 0) {
        slots[i] = f
        this.#size++
        return true
      }
    }
  }

  #grow(): boolean {
    if (this.#slots.length * 2 > this.maxSlots) return false
    const old = this.#slots
    this.#slots = new Uint32Array(old.length * 2)
    this.#size = 0
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.#insert(this.#slots, old[i]!)
    return true
  }
}
