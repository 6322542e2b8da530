import { Readable } from 'node:stream'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../../src/app/index.js'
import type { GoalReport } from '../../../src/core/goals.js'
import { execFile } from 'node:child_process'
import { call, parseMetrics } from '../../helpers/admin.js'
import { appConfig, startApp } from '../../helpers/app.js'
import { PROMTOOL } from '../../helpers/tools.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * Goal events through both doors, with real sockets: the application's batch on the admin plane and
 * the browser's beacon on the data plane; each counts for the side the user was served by.
 */
describe('goal events (admin API and /_sluice/goal)', () => {
  let oldSide: SideBackend
  let newSide: SideBackend
  let app: SluiceApp
  let data = ''
  let admin = ''
  const sideOf = new Map<string, 'old' | 'new'>()

  beforeAll(async () => {
    oldSide = await startSideBackend('old')
    newSide = await startSideBackend('new')
    ;({ app, data, admin } = await startApp(appConfig(`routes:
  - name: checkout
    old: ${oldSide.url}
    new: ${newSide.url}
    percent: 50
    sticky: [header:x-user-id, cookie:uid]
    goals:
      - { name: purchase, better: higher }
      - { name: support, better: lower }
`)))
    // 40 users, each served twice (exposure counts users, not requests)
    for (let i = 0; i < 40; i++) {
      for (let k = 0; k < 2; k++) {
        const res = await request(`${data}/cart`, { headers: { 'x-user-id': `user-${i}` } })
        sideOf.set(`user-${i}`, (await res.body.json() as { backend: 'old' | 'new' }).backend)
      }
    }
  })
  afterAll(async () => {
    await app?.shutdown('test')
    await oldSide?.close()
    await newSide?.close()
  })

  const usersOn = (side: 'old' | 'new') => [...sideOf].filter(([, s]) => s === side).map(([k]) => k)
  const goals = async () => ((await call(admin, 'GET', '/api/routes/checkout')).json as { goals: Record<string, GoalReport> }).goals

  it('GET /api/routes/NAME shows each side\'s exposed users before any event', async () => {
    const g = await goals() as Record<'purchase' | 'support', GoalReport>
    expect(g.purchase.old).toEqual({ users: usersOn('old').length, converted: 0, value: 0, rate: 0 })
    expect(g.purchase.new.users).toBe(usersOn('new').length)
    expect(usersOn('old').length + usersOn('new').length).toBe(40)
    expect(g.purchase).toMatchObject({ better: 'higher', lift: null, interval: null, verdict: 'inconclusive' })
  })

  it('the application\'s batch counts each exposed user once, on its side; unknown users are ignored', async () => {
    const [o1, o2] = usersOn('old')
    const [n1] = usersOn('new')
    const res = await call(admin, 'POST', '/api/routes/checkout/goals/purchase', { body: { events: [
      { key: o1, value: 59.9 }, { key: o1, value: 59.9 }, { key: o2 }, { key: n1, value: 10 }, { key: 'never-seen', value: 5 },
    ] } })
    expect(res.status).toBe(202)
    expect(res.json).toEqual({ accepted: 4, ignored: 1 })
    const g = await goals() as Record<'purchase' | 'support', GoalReport>
    expect(g.purchase.old).toMatchObject({ converted: 2, value: 59.9 })
    expect(g.purchase.new).toMatchObject({ converted: 1, value: 10 })
    expect(g.support.old.converted).toBe(0)
  })

  it('refuses a bad batch whole (400, nothing counted), an unknown route or goal (404), a write without JSON (415)', async () => {
    const before = await goals()
    const bad = await call(admin, 'POST', '/api/routes/checkout/goals/purchase', { body: { events: [{ key: usersOn('old')[3] }, { key: 7 }] } })
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({ error: { message: expect.stringContaining('events[1]') } })
    expect((await call(admin, 'POST', '/api/routes/checkout/goals/purchase', { body: { events: [{ key: 'x', value: 'much' }] } })).status).toBe(400)
    expect((await call(admin, 'POST', '/api/routes/checkout/goals/purchase', { body: { events: 'all' } })).status).toBe(400)
    expect((await call(admin, 'POST', '/api/routes/checkout/goals/refund', { body: { events: [] } })).status).toBe(404)
    expect((await call(admin, 'POST', '/api/routes/nope/goals/purchase', { body: { events: [] } })).status).toBe(404)
    const noJson = await call(admin, 'POST', '/api/routes/checkout/goals/purchase', { body: '{"events": []}', headers: { 'content-type': 'text/plain' } })
    expect(noJson.status).toBe(415)
    expect(await goals()).toEqual(before)
  })

  it('the browser beacon counts the caller\'s own key on its side (header or cookie), is never forwarded', async () => {
    const hits = oldSide.hits + newSide.hits
    const [o] = usersOn('old').slice(5)
    const [n] = usersOn('new').slice(5)
    const before = (await goals())['support']!
    const viaHeader = await request(`${data}/_sluice/goal?route=checkout&goal=support`, { method: 'POST', headers: { 'x-user-id': o! } })
    expect(viaHeader.statusCode).toBe(204)
    await viaHeader.body.dump()
    // a sendBeacon-like POST with a body, and a chunked one, carrying the key in the cookie
    const withBody = await request(`${data}/_sluice/goal?route=checkout&goal=support`, { method: 'POST', headers: { cookie: `uid=${n}`, 'content-type': 'text/plain' }, body: 'clicked' })
    expect(withBody.statusCode).toBe(204)
    await withBody.body.dump()
    const chunked = await request(`${data}/_sluice/goal?route=checkout&goal=support`, { method: 'POST', headers: { 'x-user-id': o! }, body: Readable.from([Buffer.from('a'), Buffer.from('b')]) })
    expect(chunked.statusCode).toBe(204) // a duplicate: accepted, not counted again
    await chunked.body.dump()
    const after = (await goals())['support']!
    expect(after.old.converted).toBe(before.old.converted + 1)
    expect(after.new.converted).toBe(before.new.converted + 1)
    expect(oldSide.hits + newSide.hits).toBe(hits)
    // the connection is still good for the next request
    const next = await request(`${data}/cart`, { headers: { 'x-user-id': o! } })
    expect(next.statusCode).toBe(200)
    await next.body.dump()
  })

  it('the beacon answers 400 without a key, 404 for an unknown route or goal, 405 for GET', async () => {
    const status = async (path: string, headers: Record<string, string> = { 'x-user-id': 'user-1' }, method: 'POST' | 'GET' = 'POST') => {
      const res = await request(`${data}${path}`, { method, headers })
      await res.body.dump()
      return res.statusCode
    }
    expect(await status('/_sluice/goal?route=checkout&goal=purchase', {})).toBe(400)
    expect(await status('/_sluice/goal?route=checkout')).toBe(400)
    expect(await status('/_sluice/goal?route=checkout&goal=refund')).toBe(404)
    expect(await status('/_sluice/goal?route=nope&goal=purchase')).toBe(404)
    expect(await status('/_sluice/goal?route=checkout&goal=purchase', undefined, 'GET')).toBe(405)
  })

  it('after the percent rises, a user moved to new counts for new only once new has served it', async () => {
    const moved = usersOn('old')[10]!
    const beacon = async () => (await request(`${data}/_sluice/goal?route=checkout&goal=purchase`, { method: 'POST', headers: { 'x-user-id': moved } })).body.dump()
    expect((await call(admin, 'PUT', '/api/routes/checkout/percent', { body: { percent: 100 } })).status).toBe(200)
    await waitFor(async () => (await (await request(`${data}/cart`, { headers: { 'x-user-id': 'probe' } })).body.json() as { backend: string }).backend === 'new', { message: 'the 100 % split to reach the data plane' })
    const before = (await goals())['purchase']!
    expect(before.old).toMatchObject({ users: 0, converted: 0 }) // a new percent: the counts restarted
    await beacon() // lives on new now, but new never served it: ignored
    expect((await goals())['purchase']!.new.converted).toBe(before.new.converted)
    await (await request(`${data}/cart`, { headers: { 'x-user-id': moved } })).body.dump()
    await beacon()
    const after = (await goals())['purchase']!
    expect(after.new.converted).toBe(before.new.converted + 1)
    expect(after.old.converted).toBe(before.old.converted)
  })

  it('exports sluice_exposed_users and sluice_goal_events_total per side, every goal present, promtool-clean', async () => {
    const text = (await call(admin, 'GET', '/metrics')).text
    const samples = parseMetrics(text)
    const value = (name: string, labels: Record<string, string>) => samples
      .find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))?.value
    const g = await goals() as Record<'purchase' | 'support', GoalReport>
    for (const backend of ['old', 'new'] as const) {
      expect(value('sluice_exposed_users', { route: 'checkout', backend })).toBe(g.purchase[backend].users)
      for (const goal of ['purchase', 'support']) expect(value('sluice_goal_events_total', { route: 'checkout', goal, backend })).toBeGreaterThanOrEqual(0)
    }
    // support: one old event counted plus one duplicate, one new event (the beacon test)
    expect(value('sluice_goal_events_total', { route: 'checkout', goal: 'support', backend: 'old' })).toBe(2)
    expect(value('sluice_goal_events_total', { route: 'checkout', goal: 'support', backend: 'new' })).toBe(1)
    if (PROMTOOL === undefined) return
    const families = text.split('\n').filter((l) => /^(# [A-Z]+ )?sluice_(goal_events_total|exposed_users)/.test(l)).join('\n') + '\n'
    const check = await new Promise<{ err: Error | null; out: string }>((resolve) => {
      const child = execFile(PROMTOOL!, ['check', 'metrics'], (err, stdout, stderr) => resolve({ err, out: `${stdout}${stderr}` }))
      child.stdin?.end(families)
    })
    expect(check.out).toBe('')
    expect(check.err).toBeNull()
  })
})
