import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../src/app/index.js'
import { appConfig, startApp } from '../helpers/app.js'
import { call } from '../helpers/admin.js'
import { RedisServer } from '../helpers/redis-server.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { startTraffic, type Load } from '../helpers/traffic.js'
import { waitFor } from '../helpers/wait-for.js'

interface SeriesJson {
  scope: string
  replica: string
  points: Array<{ t: string; percent: number; old: { rps: number }; new: { rps: number } }>
}

/**
 * Two replicas on one Redis: traffic reaches replica B only, yet replica A's time series (and so
 * its dashboard) shows it, because each replica adds its counts per interval to the store and
 * charts the fleet's sum (README "Dashboard and time series").
 */
describe('time series across replicas (state.store: redis)', () => {
  let redis: RedisServer
  let oldSide: SideBackend
  let newSide: SideBackend
  const apps: SluiceApp[] = []
  let load: Load | undefined

  beforeAll(async () => {
    redis = await new RedisServer().start()
    oldSide = await startSideBackend('old')
    newSide = await startSideBackend('new')
    const config = appConfig(`state: { store: redis, redis: ${redis.url}, keyPrefix: series-fleet }
routes:
  - name: checkout
    old: ${oldSide.url}
    new: ${newSide.url}
    percent: 25
    sticky: [header:x-user-id]
`)
    for (let i = 0; i < 2; i++) apps.push((await startApp(config, { seriesResolutionMs: 500 })).app)
    load = startTraffic(`http://127.0.0.1:${apps[1]!.addresses.data.port}`, { connections: 2, paths: ['/'], users: 200, gapMs: 5 })
  }, 30_000)

  afterAll(async () => {
    await load?.stop()
    for (const app of apps) await app.shutdown('test')
    await redis?.close()
    await oldSide?.close()
    await newSide?.close()
  })

  it('a replica that served nothing charts the traffic another replica served', async () => {
    const admin = (i: number) => `http://127.0.0.1:${apps[i]!.addresses.admin.port}`
    const series = (i: number) => call(admin(i), 'GET', '/api/routes/checkout/series?minutes=5').then((r) => r.json as SeriesJson)
    const seen = await waitFor(async () => {
      const s = await series(0)
      return s.points.some((p) => p.old.rps > 0 && p.new.rps > 0) && s
    }, { message: "replica A's series to show replica B's traffic" })
    expect(seen).toMatchObject({ scope: 'fleet', replica: apps[0]!.replica })
    expect(seen.points.every((p) => p.percent === 25)).toBe(true)
    // A itself served nothing: its own metrics say so.
    const own = (await call(admin(0), 'GET', '/metrics')).text
    expect(own).toMatch(/sluice_requests_total\{route="checkout",backend="old",code="200"\} 0/)
    // Both replicas chart the same fleet figures for an interval both charted. (A replica whose
    // sampler missed an interval's tick, e.g. on a loaded machine, has no point for that interval:
    // so the intervals compared are those both have, not A's first busy one.)
    const agreed = await waitFor(async () => {
      const [a, b] = [await series(0), await series(1)]
      return a.points.find((p) => p.old.rps > 0
        && b.points.some((q) => q.t === p.t && q.old.rps === p.old.rps && q.new.rps === p.new.rps))
    }, { message: 'both replicas to chart one busy interval with the same fleet figures' })
    expect(agreed.old.rps).toBeGreaterThan(0)
  })
})
