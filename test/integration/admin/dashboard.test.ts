import { afterEach, describe, expect, it } from 'vitest'
import { call, routeConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('GET / (dashboard)', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('shows every route with its live percent, state, step and latest events, escaped', async () => {
    const rollout = { stepsBp: [100, 500, 10_000], intervalMs: 60_000, schedule: undefined, analysis: undefined }
    admin = await startAdmin({ token: 't', routes: [routeConfig('checkout', { percentBp: 250 }), routeConfig('search', { rollout })] })
    await admin.commands.setPercent({ kind: 'route', name: 'checkout' }, 1000, { actor: 'admin', reason: 'ramp <b>up</b>' })

    const res = await call(admin.base, 'GET', '/', { token: 't' })

    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.text).toMatch(/<h2>checkout <small>route<\/small> <span class="state">manual<\/span><\/h2>/)
    expect(res.text).toContain('<b>10%</b> to new')
    expect(res.text).toMatch(/<h2>search <small>route<\/small> <span class="state">progressing<\/span>/)
    expect(res.text).toContain('step 0/3 (1 → 5 → 100 %)')
    // The history event is there, and operator text is escaped.
    expect(res.text).toContain('<td>admin</td><td>2.5% manual</td><td>10% manual</td><td>ramp &#60;b&#62;up&#60;/b&#62;</td>')
    expect(res.text).not.toContain('<b>up</b>')
  })
  it('with a token set, the page needs it (bearer, or Basic with the token as password) and leaks nothing without', async () => {
    admin = await startAdmin({ token: 's3cret', routes: [routeConfig('checkout')] })
    const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` })

    const anon = await call(admin.base, 'GET', '/')
    expect(anon.status).toBe(401)
    expect(anon.headers['www-authenticate']).toMatch(/^Basic realm="sluice dashboard"/)
    expect(anon.json).toMatchObject({ error: { code: 'unauthorized' } })
    expect(anon.text).not.toContain('checkout')
    expect((await call(admin.base, 'GET', '/', { token: 'wrong' })).status).toBe(401)
    expect((await call(admin.base, 'GET', '/', { headers: basic('ops', 'wrong') })).status).toBe(401)
    expect((await call(admin.base, 'GET', '/', { token: 's3cret' })).text).toContain('checkout')
    expect((await call(admin.base, 'GET', '/', { headers: basic('ops', 's3cret') })).text).toContain('checkout')
    expect((await call(admin.base, 'GET', '/', { headers: basic('', 's3cret') })).status).toBe(200)
    // Basic opens the page only: the API still wants the bearer token (browsers replay Basic cross-site).
    expect((await call(admin.base, 'GET', '/api/routes', { headers: basic('ops', 's3cret') })).status).toBe(401)
  })

  it('is sent with a strict Content-Security-Policy and holds no inline script or style', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout', { percentBp: 250 })] })
    const res = await call(admin.base, 'GET', '/')
    const csp = String(res.headers['content-security-policy'])
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive)
    expect(csp).not.toContain('unsafe')
    expect(res.text).not.toMatch(/<script(?![^>]*\ssrc=)/)
    expect(res.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/)
    // Without JavaScript the page re-reads itself; with it, the script polls instead.
    expect(res.text).toMatch(/<noscript><meta http-equiv="refresh" content="5"><\/noscript>/)
    // The share bar is drawn without a style attribute.
    expect(res.text).toContain('<rect class="bar-new" width="2.5" height="1"/>')
  })

  it('without a token (loopback only) the page is open', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout')] })
    expect((await call(admin.base, 'GET', '/')).status).toBe(200)
  })

  it('computes its figures at most once a second, reads group sizes as counts and never rebuilds member sets per hit', async () => {
    const users = Array.from({ length: 200_000 }, (_, i) => `u${i}`)
    const groups = [{ name: 'beta', backend: 'new' as const, key: undefined, users, usersFile: undefined }]
    admin = await startAdmin({ routes: [routeConfig('checkout', { groups })] })
    const builds = admin.counts.viewBuilds
    const reads = admin.counts.sizeReads

    const pages = await Promise.all(Array.from({ length: 50 }, () => call(admin!.base, 'GET', '/')))

    expect(pages.every((p) => p.status === 200 && p.text.includes('beta: 200000'))).toBe(true)
    // One computation for 50 hits; the member maps were built by state changes only, not by the page.
    expect(admin.counts.sizeReads - reads).toBe(1)
    expect(admin.counts.viewBuilds).toBe(builds)

    // A live change rebuilds the views once (the data plane needs them); the page shows it within a second.
    await call(admin.base, 'PUT', '/api/routes/checkout/groups/beta/users/newcomer')
    await admin.commands.setPercent({ kind: 'route', name: 'checkout' }, 700, { actor: 'admin', reason: undefined })
    const readsBefore = admin.counts.sizeReads
    expect((await call(admin.base, 'GET', '/')).text).toContain('<b>0%</b> to new')
    admin.clock.advance(999)
    expect((await call(admin.base, 'GET', '/')).text).toContain('beta: 200000')
    expect(admin.counts.sizeReads).toBe(readsBefore)
    admin.clock.advance(1)
    const fresh = (await call(admin.base, 'GET', '/')).text
    expect(fresh).toContain('<b>7%</b> to new')
    expect(fresh).toContain('beta: 200001')
    expect(admin.counts.sizeReads).toBe(readsBefore + 1)
    // The API reads the same counts: no set is built to answer it either.
    expect(((await call(admin.base, 'GET', '/api/routes/checkout')).json as { groups: unknown }).groups).toEqual({ beta: 200_001 })
  })
})
