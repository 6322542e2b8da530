import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

describe('opt-in / opt-out and whoami on the data plane', () => {
  let dp: TestDataPlane | undefined
  let backends: TestBackend[] = []
  afterEach(async () => {
    await dp?.close()
    await Promise.all(backends.map((b) => b.close()))
    backends = []
  })

  async function start(over: { optIn?: boolean; percentBp?: number } = {}) {
    backends = [await startBackend('old'), await startBackend('new')]
    dp = await startDataPlane([
      routeConfig({
        name: 'checkout', old: [backends[0]!.url], new: [backends[1]!.url], optIn: over.optIn ?? true,
        percentBp: over.percentBp ?? 0, sticky: [{ kind: 'header', name: 'x-user-id' }], exposeBackendHeader: true,
        groups: [{ name: 'beta', backend: 'new', key: { kind: 'header', name: 'x-user-email' }, users: ['alice@example.com'], usersFile: undefined }],
      }),
      routeConfig({ name: 'search', old: [backends[0]!.url], new: [backends[1]!.url], percentBp: 10_000 }),
    ])
    return dp
  }
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await request(`${dp!.url}${path}`, { headers })
    const text = await res.body.text()
    return { status: res.statusCode, headers: res.headers, text }
  }

  it('opt-in sets a route-scoped, one-year, HttpOnly, SameSite=Lax cookie and answers 204', async () => {
    await start()
    const r = await get('/_sluice/opt-in?route=checkout')
    expect(r.status).toBe(204)
    expect(r.headers['set-cookie']).toBe('sluice-opt-checkout=in; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax')
    const https = await get('/_sluice/opt-out?route=checkout', { 'x-forwarded-proto': 'https' })
    expect(https.headers['set-cookie']).toBe('sluice-opt-checkout=out; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure')
  })

  it('the opt-in cookie sends the caller to new at 0 %, the opt-out cookie to old at 100 %', async () => {
    await start()
    expect((await get('/', { 'x-user-id': 'u1' })).headers['x-sluice-backend']).toBe('old')
    expect((await get('/', { 'x-user-id': 'u1', cookie: 'sluice-opt-checkout=in' })).headers['x-sluice-backend']).toBe('new')
    dp!.setPercent('checkout', 10_000)
    expect((await get('/', { 'x-user-id': 'u1', cookie: 'a=1; sluice-opt-checkout=out' })).headers['x-sluice-backend']).toBe('old')
  })

  it('decision order: an opted-out beta user gets old; an opt cookie is ignored where optIn is false', async () => {
    await start()
    expect((await get('/', { 'x-user-email': 'alice@example.com' })).headers['x-sluice-backend']).toBe('new')
    expect((await get('/', { 'x-user-email': 'alice@example.com', cookie: 'sluice-opt-checkout=out' })).headers['x-sluice-backend']).toBe('old')
    await dp!.close()
    await Promise.all(backends.map((b) => b.close()))
    await start({ optIn: false })
    expect((await get('/', { 'x-user-id': 'u1', cookie: 'sluice-opt-checkout=in' })).headers['x-sluice-backend']).toBe('old')
  })

  it('redirects to a same-origin path only; off-site targets are refused and set no cookie', async () => {
    await start()
    const ok = await get('/_sluice/opt-in?route=checkout&redirect=%2Faccount%3Ftab%3Dbeta')
    expect(ok.status).toBe(302)
    expect(ok.headers.location).toBe('/account?tab=beta')
    for (const target of ['https://evil.example/', '//evil.example/', '/\\evil.example', 'javascript:alert(1)', 'account']) {
      const r = await get(`/_sluice/opt-in?route=checkout&redirect=${encodeURIComponent(target)}`)
      expect(r.status, target).toBe(400)
      expect(r.headers['set-cookie'], target).toBeUndefined()
      expect(r.headers.location, target).toBeUndefined()
    }
  })

  it('404 for a route with optIn: false or no such route; 400 without ?route', async () => {
    await start()
    expect((await get('/_sluice/opt-in?route=search')).status).toBe(404)
    expect((await get('/_sluice/opt-in?route=nope')).status).toBe(404)
    expect((await get('/_sluice/opt-in')).status).toBe(400)
    expect((await get('/_sluice/nothing')).status).toBe(404)
  })

  it('whoami answers each route\'s side and reason', async () => {
    await start()
    const who = async (headers: Record<string, string>) => JSON.parse((await get('/_sluice/whoami', headers)).text) as { routes: Record<string, { backend: string; reason: string }> }
    expect(await who({ 'x-user-id': 'u1' })).toEqual({ routes: { checkout: { backend: 'old', reason: 'bucket' }, search: { backend: 'new', reason: 'random' } } })
    expect((await who({ 'x-user-email': 'alice@example.com' })).routes.checkout).toEqual({ backend: 'new', reason: 'group:beta' })
    expect((await who({ cookie: 'sluice-opt-checkout=in' })).routes.checkout).toEqual({ backend: 'new', reason: 'opt-in' })
    expect((await who({ cookie: 'sluice-opt-checkout=out', 'x-user-email': 'alice@example.com' })).routes.checkout).toEqual({ backend: 'old', reason: 'opt-out' })
    // The backends saw none of these requests.
    expect(backends[0]!.requests.filter((r) => r.url.startsWith('/_sluice')).length).toBe(0)
  })
})
