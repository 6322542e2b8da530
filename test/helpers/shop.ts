import { Pool } from 'undici'
import { call } from './admin.js'

/** What a shop run did: users served per side, and how many of them bought. */
export interface ShopRun {
  readonly served: Record<'old' | 'new', number>
  readonly bought: Record<'old' | 'new', number>
  /** The users who bought, and those who did not (for tests that send more events). */
  readonly buyers: string[]
  readonly browsers: string[]
}

export interface ShopOptions {
  /** The data plane's origin, and the admin plane's (for the application's events). */
  readonly data: string
  readonly admin: string
  readonly route: string
  readonly goal: string
  /** Distinct users, each served once with its own sticky key (`x-user-id`). */
  readonly users: number
  /** Share of each side's users that buy: exact, spread evenly (no random draw). */
  readonly rates: Record<'old' | 'new', number>
  /** Prefix of the user ids, distinct per run. */
  readonly prefix: string
  /**
   * Every N-th purchase goes through the browser beacon `/_sluice/goal`, the rest in the application's
   * batches (default 10).
   */
  readonly beaconEvery?: number
  /** Data plane origins of other replicas to spread the users over (round robin with `data`). */
  readonly moreData?: readonly string[]
}

/**
 * A traffic generator for goals: sticky users load a page (the side that served each one is read
 * from the backend's answer), and a fixed share of each side's users "buy" — reported as the
 * application would (`POST /api/routes/NAME/goals/GOAL` batches) or the browser would (the beacon
 * with the user's own key). Deterministic: the same options give the same purchases.
 */
export async function shop(o: ShopOptions): Promise<ShopRun> {
  const origins = [o.data, ...(o.moreData ?? [])]
  const pools = origins.map((origin) => new Pool(origin, { connections: 4 }))
  const served = { old: 0, new: 0 }
  const bought = { old: 0, new: 0 }
  const buyers: string[] = []
  const browsers: string[] = []
  const batch: { key: string; value: number }[] = []
  const beaconEvery = o.beaconEvery ?? 10
  let purchases = 0
  const flush = async () => {
    if (batch.length === 0) return
    const events = batch.splice(0)
    const res = await call(o.admin, 'POST', `/api/routes/${o.route}/goals/${o.goal}`, { body: { events } })
    if (res.status !== 202) throw new Error(`goal batch answered ${res.status}: ${res.text}`)
  }
  const visit = async (i: number) => {
    const key = `${o.prefix}-${i}`
    const pool = pools[i % pools.length]!
    const res = await pool.request({ path: '/', method: 'GET', headers: { 'x-user-id': key } })
    const side = (await res.body.json() as { backend: 'old' | 'new' }).backend
    const k = served[side]++
    // Exact shares: user k of a side buys when floor((k + 1)·rate) steps up.
    if (Math.floor((k + 1) * o.rates[side]) === Math.floor(k * o.rates[side])) { browsers.push(key); return }
    bought[side]++
    buyers.push(key)
    if (++purchases % beaconEvery === 0) {
      const b = await pools[(i + 1) % pools.length]!.request({ path: `/_sluice/goal?route=${o.route}&goal=${o.goal}`, method: 'POST', headers: { 'x-user-id': key } })
      await b.body.dump()
      if (b.statusCode !== 204) throw new Error(`the beacon answered ${b.statusCode}`)
    } else {
      batch.push({ key, value: 20 + (i % 50) })
      if (batch.length >= 200) await flush()
    }
  }
  const lanes = 8
  await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane; i < o.users; i += lanes) await visit(i)
  }))
  await flush()
  await Promise.all(pools.map((p) => p.close()))
  return { served, bought, buyers, browsers }
}
