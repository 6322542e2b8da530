import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { RedisStateStore, type RedisStoreOptions } from '../../../src/state/redis/store.js'
import type { HistoryEvent, TargetLive } from '../../../src/state/store.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../../helpers/redis-server.js'

export { REDIS_SERVER }

/** The describe title, saying why the suite is skipped when redis-server is not installed. */
export function suiteTitle(what: string): string {
  return REDIS_SERVER ? what : `${what} (skipped: ${NO_REDIS_REASON})`
}

/** A fresh key prefix, so stores of different tests never see each other's keys or notices. */
export function uniquePrefix(): string {
  return `t-${randomBytes(4).toString('hex')}`
}

/** One private redis-server per test file, and every store and raw client made on it, closed in afterAll. */
export class StoreRig {
  readonly server = new RedisServer()
  readonly #stores: RedisStateStore[] = []
  readonly #raws: Redis[] = []

  async start(): Promise<void> {
    await this.server.start()
  }

  /** A store (a "replica") on this server; loaded unless `load: false`. */
  async store(opts: Partial<RedisStoreOptions> & { load?: boolean } = {}): Promise<RedisStateStore> {
    const { load, ...rest } = opts
    const store = new RedisStateStore({ url: this.server.url, keyPrefix: uniquePrefix(), ...rest })
    this.#stores.push(store)
    if (load !== false) await store.load()
    return store
  }

  /** A plain client for looking behind the store's back. */
  raw(): Redis {
    const client = new Redis(this.server.url, { maxRetriesPerRequest: 1 })
    client.on('error', () => {}) // outages in these tests are deliberate
    this.#raws.push(client)
    return client
  }

  async close(): Promise<void> {
    await Promise.all(this.#stores.map((s) => s.close()))
    for (const r of this.#raws) r.disconnect()
    await this.server.close()
  }
}

/** Poll until `cond` holds; resolves with the ms it took, rejects after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now()
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
  return performance.now() - start
}

export const ref = { kind: 'route', name: 'checkout' } as const

export function live(percentBp: number): Omit<TargetLive, 'version'> {
  return { percentBp, state: 'manual', step: -1, filePercentBp: 0, updatedAt: 1000 }
}

export function event(from: number, to: number): HistoryEvent {
  return { at: 1000 + to, actor: 'admin', reason: `to ${to}`, from: { percentBp: from, state: 'manual' }, to: { percentBp: to, state: 'manual' } }
}
