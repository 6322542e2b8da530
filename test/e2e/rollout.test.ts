import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli, SluiceProcess, stopSluiceAndBackends, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { startTraffic } from '../helpers/traffic.js'
import { waitFor } from '../helpers/wait-for.js'

describe('automatic rollout end to end (real backends, short intervals)', () => {
  let sluice: SluiceProcess | undefined
  let backends: SideBackend[] = []
  let hook: Server | undefined
  afterEach(async () => {
    await stopSluiceAndBackends(sluice, backends)
    await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()))
    hook = undefined
  })

  const route = (analysis: string) => `  - name: app
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    sticky: [header:x-user-id]
    rollout:
      steps: [10, 50, 100]
      interval: 2s
      analysis: { window: 1s, minRequests: 20, maxErrorRate: 0.05, failureLimit: 2${analysis} }
`

  it('a healthy new side reaches completed and `sluice wait` exits 0', async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(testConfig(route(''))).start()
    const load = startTraffic(sluice.data)
    const wait = await runCli(['wait', 'app', '--admin', sluice.admin, '--timeout', '30s'], {}, 40_000)
    await load.stop()
    expect(wait.stdout).toContain('route app: completed at 100%')
    expect(wait.code).toBe(0)
    const status = await runCli(['status', '-o', 'json', '--admin', sluice.admin])
    expect(JSON.parse(status.stdout).routes[0]).toMatchObject({ state: 'completed', percent: 100, steps: [10, 50, 100], lastVerdict: { pass: true } })
  }, 60_000)

  it('a new side answering 20 % 5xx is rolled back, the webhook hears it with figures, `wait` exits 1', async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    backends[1]!.failRate = 0.2
    const events: Array<Record<string, unknown>> = []
    hook = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => { body += c.toString() })
      req.on('end', () => { events.push(JSON.parse(body) as Record<string, unknown>); res.writeHead(204).end() })
    })
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', r))
    const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`
    sluice = await new SluiceProcess(testConfig(route(''), `notify: { webhooks: [${hookUrl}] }`)).start()
    const load = startTraffic(sluice.data)
    const wait = await runCli(['wait', 'app', '--admin', sluice.admin, '--timeout', '30s'], {}, 40_000)
    await load.stop()
    expect(wait.code).toBe(1)
    expect(wait.stdout).toContain('rolled_back at 0%')
    const rolled = await sluice.waitForLog((l) => l.msg === 'rolled back')
    expect(rolled.level).toBe('warn')
    await waitFor(() => events.length > 0, { message: 'the webhook to be called' })
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ event: 'rolled_back', kind: 'route', name: 'app', to: { percent: 0, state: 'rolled_back' }, figures: { failed: ['maxErrorRate'] } })
    const history = JSON.parse((await runCli(['history', 'app', '-o', 'json', '--admin', sluice.admin])).stdout) as { events: Array<{ actor: string; figures?: unknown }> }
    expect(history.events.at(-1)).toMatchObject({ actor: 'analysis', figures: { new: { errors: expect.any(Number) } } })
    const metrics = await (await fetch(`${sluice.admin}/metrics`)).text()
    expect(metrics).toContain('sluice_rollbacks_total{kind="route",name="app",reason="error_rate"} 1')
  }, 60_000)

  it('`sluice wait` exits 2 on time-out, and keeps retrying an unreachable admin plane until then', async () => {
    const r = await runCli(['wait', 'app', '--admin', 'http://127.0.0.1:1', '--timeout', '2s'], {}, 20_000)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('retrying')
    expect(r.stderr).toContain('timed out')
  })
})
