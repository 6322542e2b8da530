import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, SluiceProcess, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'

const TOKEN = 's3cret-token-for-tests'

describe('admin-talking CLI commands against a running sluice', () => {
  let sluice: SluiceProcess
  let backends: SideBackend[]

  beforeAll(async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(testConfig(`  - name: checkout
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    percent: 5
  - name: search
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
`, `  # token from the environment`)).start({ SLUICE_ADMIN_TOKEN: TOKEN })
  })
  afterAll(async () => {
    await sluice.stop()
    await Promise.all(backends.map((b) => b.close()))
  })

  const admin = () => ['--admin', sluice.admin, '--token', TOKEN]

  it('status prints a table with every route', async () => {
    const r = await runCli(['status', ...admin()])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+PERCENT\s+STATE/)
    expect(lines.find((l) => l.startsWith('checkout'))).toMatch(/^checkout\s+route\s+5%\s+manual/)
    expect(lines.find((l) => l.startsWith('search'))).toMatch(/^search\s+route\s+0%\s+manual/)
  })

  it('status -o json prints the API shapes', async () => {
    const r = await runCli(['status', '-o', 'json', ...admin()])
    expect(r.code).toBe(0)
    const body = JSON.parse(r.stdout) as {
      routes: Array<{ name: string; kind: string; percent: number }>; queues: unknown[]
    }
    expect(body.queues).toEqual([])
    expect(body.routes.map((t) => [t.name, t.kind, t.percent])).toEqual([['checkout', 'route', 5], ['search', 'route', 0]])
  })

  it('set-percent changes the percent and history records it with the reason', async () => {
    const r = await runCli(['set-percent', 'checkout', '12.5', '--reason', 'more traffic', ...admin()])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('route checkout: 12.5% to new')
    const h = await runCli(['history', 'checkout', '-o', 'json', ...admin()])
    expect(h.code).toBe(0)
    type History = {
      events: Array<{ actor: string; reason: string; from: { percent: number }; to: { percent: number } }>
    }
    const events = (JSON.parse(h.stdout) as History).events
    expect(events.at(-1)).toMatchObject({ actor: 'admin', reason: 'more traffic', from: { percent: 5 }, to: { percent: 12.5 } })
  })

  it('exit 1 with sluice\'s message when it refuses', async () => {
    const unknown = await runCli(['set-percent', 'nope', '5', ...admin()])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("no route or queue named 'nope'")
    const bad = await runCli(['set-percent', 'checkout', '150', ...admin()])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/percent/)
  })

  it('exit 2 when the token is missing or wrong, and the message says so', async () => {
    const none = await runCli(['status', '--admin', sluice.admin], { SLUICE_ADMIN_TOKEN: '' })
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('needs a token')
    const wrong = await runCli(['status', '--admin', sluice.admin, '--token', 'wrong'])
    expect(wrong.code).toBe(2)
    expect(wrong.stderr).toContain('token was refused')
  })

  it('exit 2 when the admin plane cannot be reached', async () => {
    const r = await runCli(['status', '--admin', 'http://127.0.0.1:1', '--token', TOKEN])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('cannot reach the admin plane')
  })
})
