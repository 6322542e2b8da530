import { randomBytes } from 'node:crypto'

/** A source of uniform numbers in [0, 1): injected so decisions can be tested deterministically. */
export type Random = () => number

export const systemRandom: Random = Math.random

/** Deterministic generator (mulberry32) for tests and reproducible simulations. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ID_BYTES = 16
const POOL_SIZE = ID_BYTES * 256
let pool = Buffer.alloc(0)
let poolOffset = POOL_SIZE

/** A 32-character random hex id (128 bits), drawn from a pooled buffer to avoid a syscall per id. */
export function randomId(): string {
  if (poolOffset >= POOL_SIZE) {
    pool = randomBytes(POOL_SIZE)
    poolOffset = 0
  }
  const id = pool.toString('hex', poolOffset, poolOffset + ID_BYTES)
  poolOffset += ID_BYTES
  return id
}
