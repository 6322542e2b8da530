import { createServer, type Server } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../../src/app/index.js'
import { call, parseMetrics } from '../../helpers/admin.js'
import { appConfig, startApp } from '../../helpers/app.js'
import { runCli } from '../../helpers/sluice-process.js'
import { shop } from '../../helpers/shop.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * Goals in the rollout's verdict (README "Judging business outcomes"), with real backends, sticky
 * users and purchases reported through the admin API and the beacon: a new side that sells 30 %
 * less is rolled back with the goal named; one that sells 30 % more completes its ramp; an equal
 * one is never rolled back.
 */

interface GoalJson {
  verdict: string
  lift: number | null
  interval: [number, number] | null
  old: { users: number; converted: number }
  new: { users: number; converted: number }
  sinceRollout: { old: { users: number } }
}
interface RouteJson {
  percent: number; state: string; goals: Record<string, GoalJson>; lastVerdict: { at: string } | null
}
interface HistoryJson {
  events: Array<{
    actor: string
    reason: string | null
    to: { state: string; percent: number }
    figures?: {
      outside?: Array<{
        kind: string; name: string; outcome: string; summary: string; figures: Record<string, number | null>
      }>
    }
  }>
}

/** Waits for a window that closed after `at`: its verdict judged the goal on every purchase made before. */
async function judgedAfter(s: { route: () => Promise<RouteJson> }, at: number): Promise<void> {
  await waitFor(async () => { const v = (await s.route()).lastVerdict; return v !== null && Date.parse(v.at) > at + 1000 }, { message: 'a window closed after the purchases' })
}

describe('goals with maxLoss in the rollout analysis', () => {
  let app: SluiceApp | undefined
  let backends: SideBackend[] = []
  // A webhook receiver: what the rollback's notification carried.
  const hooks: unknown[] = []
  let hookServer: Server
  let hookUrl = ''
  beforeAll(async () => {
    hookServer = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => { body += c.toString() })
      req.on('end', () => { hooks.push(JSON.parse(body)); res.writeHead(204).end() })
    })
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r))
    hookUrl = `http://127.0.0.1:${(hookServer.address() as { port: number }).port}/hook`
  })
  afterAll(async () => { await new Promise((r) => hookServer.close(r)) })
  afterEach(async () => {
    await app?.shutdown('test')
    await Promise.all(backends.map((b) => b.close()))
    app = undefined
    backends = []
  })

  const start = async (interval: string) => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    const started = await startApp(appConfig(`notify: { webhooks: [${hookUrl}] }
routes:
  - name: shop
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    sticky: [header:x-user-id]
    goals:
      - { name: purchase, better: higher, maxLoss: 0.1 }
    rollout:
      steps: [50, 100]
      interval: ${interval}
      analysis: { window: 1s, minRequests: 50, maxErrorRate: 0.2, failureLimit: 2 }
`), { tickMs: 100 })
    app = started.app
    const { data, admin } = started
    const route = async () => (await call(admin, 'GET', '/api/routes/shop')).json as RouteJson
    // The first step needs no verdict; the next waits for minRequests, which no one has sent yet.
    await waitFor(async () => (await route()).percent === 50, { message: 'the first step (50 %)' })
    const history = async () => (await call(admin, 'GET', '/api/routes/shop/history')).json as HistoryJson
    return { data, admin, route, history }
  }

  it('new sells 30 % less than old: rolled back, the goal named in the history and in sluice_rollbacks_total', async () => {
    const s = await start('1h')
    const run = await shop({ ...s, route: 'shop', goal: 'purchase', users: 4000, rates: { old: 0.4, new: 0.28 }, prefix: 'worse' })
    expect(run.served.old + run.served.new).toBe(4000)
    await waitFor(async () => (await s.route()).state === 'rolled_back', { timeoutMs: 20_000, message: 'the rollback' })
    const last = (await s.history()).events.at(-1)!
    expect(last).toMatchObject({ actor: 'analysis', to: { state: 'rolled_back', percent: 0 } })
    expect(last.reason).toMatch(/goal purchase: purchase fell (2\d|3\d) % \(interval −\d+ % … −\d+ %\)/)
    const goal = last.figures!.outside!.find((c) => c.kind === 'goal')!
    expect(goal).toMatchObject({ name: 'purchase', outcome: 'fail' })
    expect(goal.figures['intervalHigh']).toBeLessThan(-0.1)
    expect(goal.figures['lift']).toBeCloseTo(-0.3, 1)
    const rollbacks = parseMetrics((await call(s.admin, 'GET', '/metrics')).text)
      .filter((m) => m.name === 'sluice_rollbacks_total' && m.labels['name'] === 'shop' && m.value > 0)
    expect(rollbacks.map((m) => m.labels['reason'])).toEqual(['goal'])
    const hook = await waitFor(() => hooks.find((h) => (h as { to?: { state?: string } }).to?.state === 'rolled_back') as { figures: { outside: { name: string; outcome: string; figures: Record<string, number> }[] } } | undefined, { message: 'the rollback webhook' })
    // the same figures as the history's (the rollback may come before the shop is done: the window's figures)
    expect(hook.figures.outside.find((c) => c.name === 'purchase')).toEqual(goal)
    // `sluice history` shows the goal's summary in a GOALS column
    const cli = await runCli(['history', 'shop', '--admin', s.admin])
    expect(cli.code).toBe(0)
    expect(cli.stdout).toMatch(/AT\s+ACTOR\s+FROM\s+TO\s+REASON\s+GOALS\n/)
    expect(cli.stdout.trim().split('\n').at(-1)).toMatch(/analysis .* purchase fell \d+ % \(interval −\d+ % … −\d+ %\)$/)
    // After the rollback the rollout's figures stay, for the post-mortem.
    const g = (await s.route()).goals['purchase']!
    expect(g.sinceRollout.old.users).toBe(run.served.old)
  }, 60_000)

  it('new sells 30 % more: the verdict is "better", the ramp completes', async () => {
    const s = await start('2s')
    // Hold the step while the shop runs, so the whole run is judged at 50 %.
    expect((await call(s.admin, 'POST', '/api/routes/shop/pause', { body: {} })).status).toBe(200)
    const run = await shop({ ...s, route: 'shop', goal: 'purchase', users: 4000, rates: { old: 0.28, new: 0.4 }, prefix: 'better' })
    const g = (await s.route()).goals['purchase']!
    expect(g).toMatchObject({ verdict: 'better', old: { users: run.served.old, converted: run.bought.old }, new: { users: run.served.new, converted: run.bought.new } })
    expect(g.interval![0]).toBeGreaterThan(0)
    await judgedAfter(s, Date.now())
    expect((await call(s.admin, 'POST', '/api/routes/shop/resume', { body: {} })).status).toBe(200)
    await waitFor(async () => (await s.route()).state === 'completed', { timeoutMs: 20_000, message: 'the ramp to complete' })
    const events = (await s.history()).events
    expect(events.some((e) => e.to.state === 'rolled_back')).toBe(false)
    const done = events.at(-1)!
    expect(done.figures!.outside!.find((c) => c.name === 'purchase')).toMatchObject({ outcome: 'pass', summary: expect.stringMatching(/^purchase rose 4\d % \(interval \+\d+ % … \+\d+ %\)$/) })
  }, 60_000)

  it('new sells as much as old: never rolled back', async () => {
    const s = await start('2s')
    expect((await call(s.admin, 'POST', '/api/routes/shop/pause', { body: {} })).status).toBe(200)
    await shop({ ...s, route: 'shop', goal: 'purchase', users: 4000, rates: { old: 0.4, new: 0.4 }, prefix: 'equal' })
    expect((await s.route()).goals['purchase']!.verdict).toBe('inconclusive')
    await judgedAfter(s, Date.now())
    expect((await call(s.admin, 'POST', '/api/routes/shop/resume', { body: {} })).status).toBe(200)
    await waitFor(async () => (await s.route()).state === 'completed', { timeoutMs: 20_000, message: 'the ramp to complete' })
    expect((await s.history()).events.some((e) => e.to.state === 'rolled_back')).toBe(false)
  }, 60_000)
})
