import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { runCli, SluiceProcess, stopSluiceAndBackends, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'

type Status = { routes: Array<{ state: string; lastVerdict: Record<string, unknown> | null }> }

/**
 * The last verdict is live state: with `state.file`, a restart keeps it (it used to live in the
 * controller's memory).
 */
describe('the last verdict survives a restart (state.file)', () => {
  let sluice: SluiceProcess | undefined
  let backends: SideBackend[] = []
  afterEach(() => stopSluiceAndBackends(sluice, backends))

  it('a rolled-back route shows the same lastVerdict before and after a restart', async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(testConfig(`  - name: checkout
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    percent: 0
    rollout:
      steps: [5, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 10, maxErrorRate: 0.05, failureLimit: 2 }
`, 'state: { store: memory, file: ./state.json }')).start()
    const status = async () => JSON.parse((await runCli(['status', '-o', 'json', '--admin', sluice!.admin])).stdout) as Status
    // No traffic: every closed window is judged `inconclusive`; wait for the first one.
    let before: Status['routes'][0] | undefined
    for (let i = 0; i < 100 && !before?.lastVerdict; i++) {
      before = (await status()).routes[0]
      if (!before?.lastVerdict) await new Promise((r) => setTimeout(r, 100))
    }
    expect(before?.lastVerdict).toMatchObject({ kind: 'inconclusive', pass: false })
    // Rolled back, nothing is judged any more: the verdict stays put.
    expect((await runCli(['rollback', 'checkout', '--admin', sluice.admin])).code).toBe(0)
    const frozen = (await status()).routes[0]!
    expect(frozen.state).toBe('rolled_back')

    sluice.signal('SIGTERM')
    expect(await sluice.exited()).toBe(0)
    sluice = await new SluiceProcess(readFileSync(sluice.configPath, 'utf8'), sluice.dir).start()
    const after = (await status()).routes[0]!
    expect(after.state).toBe('rolled_back')
    expect(after.lastVerdict).not.toBeNull()
    expect(after.lastVerdict).toEqual(frozen.lastVerdict)
  })
})
