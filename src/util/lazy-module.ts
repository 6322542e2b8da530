import { createRequire } from 'node:module'

const requireHere = createRequire(import.meta.url)

/**
 * A CommonJS package loaded on first use instead of at start-up. ioredis and BullMQ together add
 * ~5 MB to the live heap and ~100 ms to start-up, and most deployments (memory store, no queues)
 * never touch them; a smaller old generation also shortens every mark-compact pause under load,
 * which shows in the proxy's p99. Both packages are CommonJS (their `main` is a CJS build), so
 * `require` returns the very instance a static ESM import would.
 */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined
  return () => (loaded ??= requireHere(id) as T)
}
