import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { startBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { buildViews } from '../../../src/state/views.js'

describe('Via loop detection', () => {
  let dp: TestDataPlane | undefined
  let close: (() => Promise<void>) | undefined
  afterEach(async () => { await dp?.close(); await close?.() })

  it('a route that points back at sluice itself answers 508 instead of looping', async () => {
    const backend = await startBackend('old')
    close = backend.close
    dp = await startDataPlane([routeConfig({ name: 'app', old: [backend.url], new: [backend.url] })])
    // Now point the route at the data plane itself.
    const self = routeConfig({ name: 'app', old: [dp.url], new: [dp.url] })
    dp.plane.setRoutes([self], buildViews([self], [], { targets: new Map(), members: new Map() }).routes)
    const res = await request(`${dp.url}/x`)
    expect(res.statusCode).toBe(508)
    expect(await res.body.json()).toMatchObject({ error: { code: 'loop' } })
  })

  it('a different sluice in the chain (another pseudonym) is not a loop', async () => {
    const backend = await startBackend('old')
    close = backend.close
    dp = await startDataPlane([routeConfig({ name: 'app', old: [backend.url], new: [backend.url] })])
    const res = await request(`${dp.url}/x`, { headers: { via: '1.1 sluice-00000000, 1.1 edge' } })
    expect(res.statusCode).toBe(200)
    await res.body.dump()
  })
})
