import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../../src/app/index.js'
import { appConfig, startApp } from '../../helpers/app.js'
import { call, parseMetrics, valueOf } from '../../helpers/admin.js'
import { RedisServer } from '../../helpers/redis-server.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * README "Shadow traffic" with `state.store: redis`: the shadow counts the leader judges are the
 * fleet's. Every request goes through the replica that is not the leader, so the leader sees no
 * shadow call of its own and can only roll back on what the other replica handed to the fleet.
 */
describe('shadow traffic across replicas (maxMismatchRate judged fleet-wide)', () => {
  let redis: RedisServer
  let oldSide: SideBackend
  let newSide: SideBackend
  const apps: SluiceApp[] = []

  beforeAll(async () => {
    redis = await new RedisServer().start()
    oldSide = await startSideBackend('old')
    newSide = await startSideBackend('new')
    const config = appConfig(`state: { store: redis, redis: ${redis.url}, keyPrefix: shadow-fleet, leaseTtl: 2s }
routes:
  - name: checkout
    old: ${oldSide.url}
    new: ${newSide.url}
    sticky: [header:x-user-id]
    shadow: { percent: 100 }
    rollout:
      steps: [1, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 1, maxMismatchRate: 0.01, failureLimit: 2 }
`)
    for (let i = 0; i < 2; i++) apps.push((await startApp(config, { tickMs: 200 })).app)
  })
  afterAll(async () => {
    for (const app of apps) await app.shutdown('test')
    await oldSide?.close()
    await newSide?.close()
    await redis?.close()
  })

  const admin = (app: SluiceApp) => `http://127.0.0.1:${app.addresses.admin.port}`
  const isLeader = async (app: SluiceApp) => valueOf(parseMetrics((await call(admin(app), 'GET', '/metrics')).text), 'sluice_leader') === 1

  it('the leader rolls back on mismatches only the other replica saw', async () => {
    const leader = await waitFor(async () => {
      const flags = await Promise.all(apps.map(isLeader))
      return flags.filter(Boolean).length === 1 && apps[flags.indexOf(true)]
    }, { message: 'one leader' })
    const follower = apps.find((a) => a !== leader)!
    const data = `http://127.0.0.1:${follower.addresses.data.port}`
    let i = 0
    await waitFor(async () => {
      await Promise.all(Array.from({ length: 20 }, async () => {
        const res = await request(`${data}/cart`, { headers: { 'x-user-id': `user-${i++}` } })
        await res.body.dump()
      }))
      const route = (await call(admin(leader), 'GET', '/api/routes/checkout')).json as { state: string }
      return route.state === 'rolled_back'
    }, { timeoutMs: 30_000, message: 'a rollback by maxMismatchRate' })

    // The leader counted no shadow call itself: the evidence came through Redis.
    expect((await call(admin(leader), 'GET', '/api/routes/checkout/shadow')).json).toMatchObject({ compared: 0, errors: 0 })
    expect(((await call(admin(follower), 'GET', '/api/routes/checkout/shadow')).json as { mismatched: number }).mismatched).toBeGreaterThan(0)
    const history = (await call(admin(leader), 'GET', '/api/routes/checkout/history')).json as { events: Array<{ reason: string }> }
    expect(history.events.at(-1)!.reason).toMatch(/maxMismatchRate/)
  })
})
