import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { call, parseMetrics } from '../../helpers/admin.js'
import { appConfig, startApp, type StartedApp } from '../../helpers/app.js'
import { useRedis } from '../../helpers/redis-server.js'
import { shop } from '../../helpers/shop.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * Goals across replicas sharing a real redis-server (README "Judging business outcomes"): each
 * replica counts what it serves and hands it to the fleet's goal log; every replica shows the
 * fleet's figures, a user's event counts wherever it arrives, a restarted replica gets the figures
 * back, and the leader rolls back on purchases it never served itself.
 */

interface Side { users: number; converted: number; value: number }
interface GoalJson { verdict: string; old: Side; new: Side; sinceRollout: { old: Side; new: Side } }
interface RouteJson { percent: number; state: string; goals: Record<string, GoalJson> }
interface HistoryJson { events: Array<{ actor: string; reason: string | null; to: { state: string } }> }

type Replica = StartedApp

describe('goals across replicas (state.store: redis)', () => {
  const redis = useRedis()
  let backends: SideBackend[] = []
  let replicas: Replica[] = []
  afterEach(async () => {
    await Promise.all(replicas.map((r) => r.app.shutdown('test')))
    replicas = []
  })
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()))
  })

  const config = async (prefix: string, route: string) => {
    if (backends.length === 0) backends = [await startSideBackend('old'), await startSideBackend('new')]
    return appConfig(`state: { store: redis, redis: ${redis.server.url}, keyPrefix: ${prefix}, leaseTtl: 2s }
routes:
  - name: shop
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    sticky: [header:x-user-id]
    goals:
      - { name: purchase, better: higher, maxLoss: 0.1 }
${route}`)
  }
  const replica = async (prefix: string, route = '    percent: 50\n'): Promise<Replica> => {
    const r = await startApp(await config(prefix, route), { tickMs: 100 })
    replicas.push(r)
    return r
  }
  const goal = async (r: Replica) => ((await call(r.admin, 'GET', '/api/routes/shop')).json as RouteJson).goals['purchase']!
  const leaderOf = async (rs: Replica[]) => waitFor(async () => {
    for (const r of rs) {
      const leader = parseMetrics((await call(r.admin, 'GET', '/metrics')).text).find((m) => m.name === 'sluice_leader')
      if (leader?.value === 1) return r
    }
    return undefined
  }, { message: 'a leader' })

  it('every replica shows the fleet\'s users and purchases; events count wherever they arrive, once; a restarted replica has them back', async () => {
    const prefix = `goals-fleet-${process.pid}`
    const a = await replica(prefix)
    const b = await replica(prefix)
    // users spread over both replicas; every 10th purchase is a beacon sent to the replica that did not serve the user
    const run = await shop({ data: a.data, moreData: [b.data], admin: a.admin, route: 'shop', goal: 'purchase', users: 1200, rates: { old: 0.3, new: 0.2 }, prefix: 'fleet' })
    const expected = {
      old: { users: run.served.old, converted: run.bought.old },
      new: { users: run.served.new, converted: run.bought.new },
    }
    for (const r of [a, b]) await waitFor(async () => { const g = await goal(r); return g.old.converted === run.bought.old && g.new.converted === run.bought.new && g.old.users === run.served.old }, { message: 'the fleet\'s figures on every replica', timeoutMs: 15_000 })
    const [ga, gb] = [await goal(a), await goal(b)]
    expect(ga).toMatchObject(expected)
    expect(gb).toEqual(ga)
    expect(ga.sinceRollout).toMatchObject(expected)

    // Buyers' events again through both replicas: duplicates, nothing counts twice; two users buy for the first time.
    const dups = run.buyers.slice(0, 50).map((key) => ({ key, value: 1 }))
    const [x, y] = run.browsers
    expect((await call(b.admin, 'POST', '/api/routes/shop/goals/purchase', { body: { events: [...dups, { key: x, value: 5 }] } })).status).toBe(202)
    expect((await call(a.admin, 'POST', '/api/routes/shop/goals/purchase', { body: { events: [...dups, { key: x, value: 5 }, { key: y, value: 7 }] } })).status).toBe(202)
    const total = (g: GoalJson) => ({ converted: g.old.converted + g.new.converted, value: g.old.value + g.new.value })
    const before = total(ga)
    const after = await waitFor(async () => {
      const [p, q] = [await goal(a), await goal(b)]
      return JSON.stringify(p) === JSON.stringify(q) && total(p).converted === before.converted + 2 && p
    }, { message: 'both replicas to count the two new buyers', timeoutMs: 15_000 })
    expect(total(after).value).toBeCloseTo(before.value + 12)
    expect(after.old.users + after.new.users).toBe(1200)

    // A replica that starts now replays the fleet's log: the same figures.
    await b.app.shutdown('test')
    replicas = replicas.filter((r) => r !== b)
    const c = await replica(prefix)
    await waitFor(async () => JSON.stringify(await goal(c)) === JSON.stringify(after), { message: 'the restarted replica\'s figures', timeoutMs: 15_000 })
  }, 90_000)

  it('the leader rolls back on purchases made only through a follower', async () => {
    const prefix = `goals-fleet-rollout-${process.pid}`
    const rollout = `    rollout:
      steps: [50, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 50, maxErrorRate: 0.2, failureLimit: 2 }
`
    const a = await replica(prefix, rollout)
    const b = await replica(prefix, rollout)
    const leader = await leaderOf([a, b])
    const follower = leader === a ? b : a
    await waitFor(async () => ((await call(follower.admin, 'GET', '/api/routes/shop')).json as RouteJson).percent === 50, { message: 'the first step' })
    await shop({ data: follower.data, admin: follower.admin, route: 'shop', goal: 'purchase', users: 4000, rates: { old: 0.4, new: 0.28 }, prefix: 'follower', beaconEvery: 1000 })
    await waitFor(async () => ((await call(leader.admin, 'GET', '/api/routes/shop')).json as RouteJson).state === 'rolled_back', { message: 'the leader\'s rollback', timeoutMs: 30_000 })
    const last = ((await call(leader.admin, 'GET', '/api/routes/shop/history')).json as HistoryJson).events.at(-1)!
    expect(last).toMatchObject({ actor: 'analysis', to: { state: 'rolled_back' } })
    expect(last.reason).toMatch(/goal purchase: purchase fell/)
  }, 90_000)
})
