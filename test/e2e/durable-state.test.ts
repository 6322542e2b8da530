import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli, SluiceProcess, stopSluiceAndBackends, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { waitFor } from '../helpers/wait-for.js'

/** Live state with `state.file`: written atomically, reloaded at start, a corrupt file moved aside. */
describe('durable live state (state.file)', () => {
  let sluice: SluiceProcess | undefined
  let backends: SideBackend[] = []
  afterEach(() => stopSluiceAndBackends(sluice, backends))

  const config = (rollout = '') => testConfig(`  - name: checkout
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    percent: 1
    sticky: [header:x-user-id]
    groups:
      beta: { backend: new, key: header:x-user-email, users: [] }
${rollout}`, 'state: { store: memory, file: ./state.json }')

  async function restart(s: SluiceProcess): Promise<SluiceProcess> {
    s.signal('SIGTERM')
    expect(await s.exited()).toBe(0)
    // Same directory, so the relative state file is the same one.
    return new SluiceProcess(readFileSync(s.configPath, 'utf8'), s.dir).start()
  }

  it('percent, rollback state, group edits and history survive a restart', async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(config()).start()
    const admin = () => ['--admin', sluice!.admin]
    expect((await runCli(['set-percent', 'checkout', '42', '--reason', 'before restart', ...admin()])).code).toBe(0)
    expect((await runCli(['users', 'add', 'checkout', 'beta', 'dora@example.com', ...admin()])).code).toBe(0)
    sluice = await restart(sluice)
    const status = JSON.parse((await runCli(['status', '-o', 'json', ...admin()])).stdout) as { routes: Array<{ percent: number; groups: Record<string, number> }> }
    expect(status.routes[0]).toMatchObject({ percent: 42, groups: { beta: 1 } })
    const history = JSON.parse((await runCli(['history', 'checkout', '-o', 'json', ...admin()])).stdout) as { events: Array<{ reason: string }> }
    expect(history.events.map((e) => e.reason)).toContain('before restart')
  })

  it('a corrupt state file is reported, moved aside, and sluice starts from the config file', async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    const s = new SluiceProcess(config())
    writeFileSync(join(s.dir, 'state.json'), '{"format":1,"targets":{')
    sluice = await s.start()
    const err = await sluice.waitForLog((l) => l.level === 'error' && String(l.msg).includes('state file'))
    expect(String(err.reason)).toContain('not JSON')
    const moved = String(err.movedTo)
    expect(existsSync(moved)).toBe(true)
    expect(readFileSync(moved, 'utf8')).toBe('{"format":1,"targets":{')
    expect(readdirSync(s.dir).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true)
    const status = JSON.parse((await runCli(['status', '-o', 'json', '--admin', sluice.admin])).stdout) as { routes: Array<{ percent: number }> }
    expect(status.routes[0]!.percent).toBe(1)
  })

  it('a state file with a wrong field (history: 5, 999999 bp) starts from the config, the file moved aside', async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    const s = new SluiceProcess(config())
    const text = JSON.stringify({
      format: 1, savedAt: 1,
      targets: { 'route/checkout': { percentBp: 999_999, state: 'manual', step: -1, filePercentBp: 100, updatedAt: 1, version: 1 } },
      history: { 'route/checkout': 5 },
    })
    writeFileSync(join(s.dir, 'state.json'), text)
    sluice = await s.start()
    const err = await sluice.waitForLog((l) => l.level === 'error' && String(l.msg).includes('state file'))
    expect(String(err.reason)).toContain('/targets/route~1checkout/percentBp must be <= 10000')
    expect(String(err.reason)).toContain('/history/route~1checkout must be array')
    expect(readFileSync(String(err.movedTo), 'utf8')).toBe(text)
    const status = JSON.parse((await runCli(['status', '-o', 'json', '--admin', sluice.admin])).stdout) as { routes: Array<{ percent: number }> }
    expect(status.routes[0]!.percent).toBe(1)
  })

  it('a restart in the middle of a rollout resumes at the same step and state', async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(config(`    rollout: { steps: [5, 20, 100], interval: 1h }\n`)).start()
    const admin = () => ['--admin', sluice!.admin]
    const route = async () => (JSON.parse((await runCli(['status', '-o', 'json', ...admin()])).stdout) as { routes: Array<Record<string, unknown>> }).routes[0]!
    // The first step is taken at once; the next is an hour away. nextStepAt is the controller's
    // figure (null until its first tick in this process).
    const before = await waitFor(async () => { const r = await route(); return r.step === 0 && typeof r.nextStepAt === 'string' && r }, { message: 'the first step' })
    sluice = await restart(sluice)
    const after = await waitFor(async () => { const r = await route(); return typeof r.nextStepAt === 'string' && r }, { message: 'a controller tick after the restart' })
    // Resumed, not restarted: same step and state, and the hour runs from the step's original start.
    expect(after).toMatchObject({ state: 'progressing', step: 0, percent: 5, nextStepAt: before.nextStepAt })
  }, 45_000)
})
