import { OFREPProvider } from '@openfeature/ofrep-provider'
import { OpenFeature, type Client } from '@openfeature/server-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomId } from '../../../src/util/random.js'
import { call } from '../../helpers/admin.js'
import { appConfig, startApp, type StartedApp } from '../../helpers/app.js'
import { mapLimit, proxiedSide } from '../../helpers/ofrep.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'

const TOKEN = 'ofrep-fleet-token'
const USERS = Array.from({ length: 500 }, (_, i) => `user-${i}`)
/**
 * A bound, not a speed assertion: these 1,500 calls took 6–19 s on a 2-core machine at load average 16
 * (2026-11-26).
 */
const FIVE_HUNDRED_USERS_MS = 90_000

type Replica = StartedApp

/**
 * With `state.store: redis` every replica answers OFREP from the live state it routes with: a
 * change made through the leader shows on a follower's flags exactly as on its data plane.
 */
describe('OFREP on a follower replica (state.store: redis)', () => {
  const redis = new RedisServer()
  let backends: SideBackend[] = []
  const replicas: Replica[] = []
  let leader: Replica
  let follower: Replica
  let client: Client

  beforeAll(async () => {
    await redis.start()
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    const prefix = `ofrep-${randomId().slice(0, 8)}`
    for (let i = 0; i < 2; i++) replicas.push(await startReplica(prefix))
    const leaders = await waitFor(async () => {
      const flags = await Promise.all(replicas.map(async (r) => (await call(r.admin, 'GET', '/metrics')).text.includes('\nsluice_leader 1')))
      return flags.filter(Boolean).length === 1 && flags
    }, { message: 'one leader among the replicas' })
    leader = replicas[leaders.indexOf(true)]!
    follower = replicas[leaders.indexOf(false)]!
    await OpenFeature.setProviderAndWait('follower', new OFREPProvider({ baseUrl: follower.admin, headers: [['Authorization', `Bearer ${TOKEN}`]] }))
    client = OpenFeature.getClient('follower')
  })
  afterAll(async () => {
    await OpenFeature.close()
    await Promise.all(replicas.map((r) => r.app.shutdown('test')))
    await Promise.all(backends.map((b) => b.close()))
    await redis.close()
  })

  async function startReplica(prefix: string): Promise<Replica> {
    return startApp(appConfig(`state: { store: redis, redis: ${redis.url}, keyPrefix: ${prefix}, leaseTtl: 2s }
routes:
  - name: checkout
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    percent: 10
    sticky: [header:x-user-id]
    groups:
      vip: { backend: new, users: [] }
`, { token: TOKEN }))
  }

  it('a percent change made through the leader: the follower\'s flags equal its own and the leader\'s data plane for 500 users', async () => {
    expect((await call(leader.admin, 'PUT', '/api/routes/checkout/percent', { body: { percent: 25 }, token: TOKEN })).status).toBe(200)
    await waitFor(async () => (await client.getBooleanDetails('checkout', false, { targetingKey: 'u' })).flagMetadata['percent'] === 25, { message: 'the follower\'s flag at 25 %' })
    // the follower's data plane routes from the same snapshot its admin plane just answered from
    const rows = await mapLimit(USERS, 16, async (user) => ({
      user,
      flag: (await client.getBooleanValue('checkout', false, { targetingKey: user })) ? 'new' : 'old',
      followerProxy: await proxiedSide(follower.data, '/', { 'x-user-id': user }),
      leaderProxy: await proxiedSide(leader.data, '/', { 'x-user-id': user }),
    }))
    expect(rows.filter((r) => r.flag !== r.followerProxy || r.flag !== r.leaderProxy).slice(0, 5)).toEqual([])
    const onNew = rows.filter((r) => r.flag === 'new').length
    expect(onNew).toBeGreaterThan(75)
    expect(onNew).toBeLessThan(175)
  }, FIVE_HUNDRED_USERS_MS)

  it('a group member added through the leader gets new from the follower\'s flag and data plane', async () => {
    const rows = await mapLimit(USERS.slice(0, 50), 8, async (user) => ({ user, side: await proxiedSide(follower.data, '/', { 'x-user-id': user }) }))
    const onOld = rows.find((r) => r.side === 'old')!.user
    expect(await client.getBooleanValue('checkout', true, { targetingKey: onOld })).toBe(false)
    expect((await call(leader.admin, 'PUT', `/api/routes/checkout/groups/vip/users/${onOld}`, { token: TOKEN })).status).toBeLessThan(300)
    const details = await waitFor(async () => {
      const d = await client.getBooleanDetails('checkout', false, { targetingKey: onOld })
      return d.value && d
    }, { message: 'the follower\'s flag for the new vip member' })
    expect(details).toMatchObject({ variant: 'new', reason: 'TARGETING_MATCH', flagMetadata: { reason: 'group:vip' } })
    expect(await proxiedSide(follower.data, '/', { 'x-user-id': onOld })).toBe('new')
  })
})
