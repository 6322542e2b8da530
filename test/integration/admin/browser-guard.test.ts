import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { callAdmin, callTarget } from '../../../src/cli/admin-client.js'
import { hostAllowList, needsJson } from '../../../src/admin/guard.js'
import { call, routeConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

/** Issue 11 §5: a token-less admin plane must not be drivable by a web page the operator opens. */
const rollout = { stepsBp: [100, 500, 10_000], intervalMs: 60_000, schedule: undefined, analysis: undefined }

describe('admin plane against browsers (Origin, Host, content-type)', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  const percentOf = async (a: AdminHarness) => ((await call(a.base, 'GET', '/api/routes/f')).json as { percent: number }).percent
  const historyOf = async (a: AdminHarness) => ((await call(a.base, 'GET', '/api/routes/f/history')).json as { events: unknown[] }).events

  /** A raw request with exactly these headers (undici lets a test set Host). */
  async function raw(a: AdminHarness, method: string, path: string, headers: Record<string, string>, body?: string) {
    const res = await request(`${a.base}${path}`, { method: method as 'GET', headers, ...(body === undefined ? {} : { body }) })
    const text = await res.body.text()
    return { status: res.statusCode, json: text.startsWith('{') ? JSON.parse(text) as { error: { code: string; message: string } } : undefined }
  }

  it('a cross-site POST with text/plain and Origin evil is refused (403) and changes nothing', async () => {
    admin = await startAdmin({ routes: [routeConfig('f')] })

    const res = await raw(admin, 'POST', '/api/routes/f/promote', { 'content-type': 'text/plain', origin: 'http://evil.example' }, '{"reason":"x"}')

    expect(res.status).toBe(403)
    expect(res.json?.error.code).toBe('forbidden_origin')
    expect(await percentOf(admin)).toBe(0)
    expect(await historyOf(admin)).toEqual([])
  })

  it('a foreign Origin is refused even with a JSON body, on reads too, and Origin null (sandboxed page) as well', async () => {
    admin = await startAdmin({ routes: [routeConfig('f')] })
    const json = { 'content-type': 'application/json' }
    expect((await raw(admin, 'PUT', '/api/routes/f/percent', { ...json, origin: 'http://evil.example' }, '{"percent":100}')).status).toBe(403)
    expect((await raw(admin, 'GET', '/api/routes', { origin: 'https://evil.example' })).status).toBe(403)
    expect((await raw(admin, 'POST', '/api/routes/f/promote', { ...json, origin: 'null' })).status).toBe(403)
    // Same host, other port: another origin.
    const port = new URL(admin.base).port
    expect((await raw(admin, 'POST', '/api/routes/f/promote', { ...json, origin: `http://127.0.0.1:${Number(port) + 1}` })).status).toBe(403)
    expect(await percentOf(admin)).toBe(0)
  })

  it('a foreign Host (DNS rebinding) gets 403 on the API and the dashboard; probes and metrics answer any Host', async () => {
    admin = await startAdmin({ routes: [routeConfig('f')] })
    const evil = { host: 'evil.example' }

    const api = await raw(admin, 'GET', '/api/routes', evil)
    expect(api.status).toBe(403)
    expect(api.json).toMatchObject({ error: { code: 'forbidden_host', message: expect.stringContaining('admin.allowedHosts') } })
    expect((await raw(admin, 'GET', '/', evil)).status).toBe(403)
    expect((await raw(admin, 'POST', '/api/routes/f/promote', { ...evil, 'content-type': 'application/json' })).status).toBe(403)
    expect((await raw(admin, 'GET', '/nope', evil)).status).toBe(403)
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await raw(admin, 'GET', path, evil)).status).toBe(200)
    // Smuggling a loopback name through user-info or a path is not a loopback Host.
    expect((await raw(admin, 'GET', '/api/routes', { host: 'evil.example@127.0.0.1' })).status).toBe(403)
    expect(await percentOf(admin)).toBe(0)
  })

  it('same-origin pages, loopback names and configured names are served', async () => {
    admin = await startAdmin({ routes: [routeConfig('f', { rollout })], allowedHosts: ['Sluice.Internal'] })
    const port = new URL(admin.base).port
    const json = { 'content-type': 'application/json' }

    const same = await raw(admin, 'POST', '/api/routes/f/pause', { ...json, host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` })
    expect(same.status).toBe(200)
    expect((await raw(admin, 'GET', '/api/routes', { host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200)
    expect((await raw(admin, 'GET', '/api/routes', { host: `[::1]:${port}` })).status).toBe(200)
    expect((await raw(admin, 'GET', '/api/routes', { host: `sluice.internal:${port}` })).status).toBe(200)
    expect((await raw(admin, 'GET', '/', { host: 'SLUICE.internal' })).status).toBe(200)
  })

  it('state-changing calls need content-type: application/json (415, nothing changed); reads do not', async () => {
    admin = await startAdmin({ routes: [routeConfig('f', { rollout, groups: [{ name: 'beta', backend: 'new', key: undefined, users: ['a'], usersFile: undefined }] })] })

    const post = await raw(admin, 'POST', '/api/routes/f/promote', { 'content-type': 'text/plain' }, '{}')
    expect(post.status).toBe(415)
    expect(post.json).toMatchObject({ error: { code: 'unsupported_media_type', message: expect.stringContaining('application/json') } })
    expect((await raw(admin, 'POST', '/api/routes/f/rollback', {})).status).toBe(415)
    expect((await raw(admin, 'PUT', '/api/routes/f/percent', { 'content-type': 'application/x-www-form-urlencoded' }, 'percent=100')).status).toBe(415)
    expect((await raw(admin, 'DELETE', '/api/routes/f/groups/beta/users/a', { 'content-type': 'multipart/form-data; boundary=x' })).status).toBe(415)
    expect(await percentOf(admin)).toBe(0)
    expect(await historyOf(admin)).toEqual([])
    // Parameters and case do not matter; an empty body with the JSON type is fine.
    expect((await raw(admin, 'PUT', '/api/routes/f/percent', { 'content-type': 'Application/JSON; charset=utf-8' }, '{"percent":3}')).status).toBe(200)
    expect((await raw(admin, 'POST', '/api/routes/f/rollback', { 'content-type': 'application/json' })).status).toBe(200)
    // 404 and 405 keep precedence over 415.
    expect((await raw(admin, 'POST', '/api/nothing', {})).status).toBe(404)
    expect((await raw(admin, 'POST', '/api/routes/f/percent', {})).status).toBe(405)
  })

  it('the CLI admin client keeps working: bodyless levers and member edits, with a token', async () => {
    admin = await startAdmin({ routes: [routeConfig('f', { rollout, groups: [{ name: 'beta', backend: 'new', key: undefined, users: [], usersFile: undefined }] })], token: 'tok' })
    const target = { url: admin.base, token: 'tok' }

    expect(await callTarget(target, 'POST', 'f', '/promote')).toMatchObject({ percent: 100, state: 'completed' })
    expect(await callTarget(target, 'POST', 'f', '/rollback', { reason: 'cli' })).toMatchObject({ percent: 0, state: 'rolled_back' })
    expect(await callAdmin(target, 'PUT', '/api/routes/f/groups/beta/users/u1')).toMatchObject({ member: true, members: 1 })
    expect(await callAdmin(target, 'DELETE', '/api/routes/f/groups/beta/users/u1')).toMatchObject({ member: false, members: 0 })
    expect(await callTarget(target, 'PUT', 'f', '/percent', { percent: 5 })).toMatchObject({ percent: 5 })
  })

  it('which Host names an admin plane answers to, by listen address', () => {
    const loop = hostAllowList({ host: '127.0.0.1', port: 8081 }, [])
    expect(['127.0.0.1:8081', 'localhost:8081', 'LOCALHOST', '[::1]:8081', '127.0.0.1'].map(loop)).toEqual([true, true, true, true, true])
    expect(['evil.example', 'evil.example:8081', '10.0.0.1:8081', 'localhost.evil.example', '', '127.0.0.1/x'].map(loop)).toEqual([false, false, false, false, false, false])
    // Every interface: any IP literal (it cannot be rebound) and loopback names, but no DNS name unless configured.
    const any = hostAllowList({ host: '0.0.0.0', port: 8081 }, ['sluice-admin.ops.svc'])
    expect(['10.1.2.3:8081', '[fd00::1]:8081', 'localhost', 'sluice-admin.ops.svc:8081'].map(any)).toEqual([true, true, true, true])
    expect(['evil.example', 'sluice-admin'].map(any)).toEqual([false, false])
    // A named listen address answers to that name.
    const named = hostAllowList({ host: 'admin.example.com', port: 8081 }, [])
    expect(['admin.example.com:8081', 'ADMIN.example.com', 'localhost', '10.0.0.1'].map(named)).toEqual([true, true, false, false])
  })

  it('which requests need the JSON content-type', () => {
    expect(needsJson('GET', undefined)).toBe(false)
    expect(needsJson('HEAD', 'text/plain')).toBe(false)
    expect(needsJson('POST', 'application/json')).toBe(false)
    expect(needsJson('POST', ' application/json ; charset=utf-8')).toBe(false)
    expect(needsJson('POST', 'text/plain')).toBe(true)
    expect(needsJson('PUT', undefined)).toBe(true)
    expect(needsJson('DELETE', 'application/jsonx')).toBe(true)
    expect(needsJson('PATCH', 'application/json-patch+json')).toBe(true)
  })
})
