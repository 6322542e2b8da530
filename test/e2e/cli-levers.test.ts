import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { runCli, SluiceProcess, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'

/** Issue 3 end to end: the CLI's levers and live groups against a running sluice, checked through the data plane. */
describe('manual levers and live groups from the CLI', () => {
  let sluice: SluiceProcess
  let backends: SideBackend[]
  const side = async (headers: Record<string, string>) => {
    const res = await request(`${sluice.data}/`, { headers })
    return ((await res.body.json()) as { backend: string }).backend
  }
  const cli = (...args: string[]) => runCli([...args, '--admin', sluice.admin])

  beforeAll(async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(testConfig(`  - name: checkout
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    percent: 0
    sticky: [header:x-user-id]
    groups:
      beta: { backend: new, key: header:x-user-email, users: [alice@example.com] }
    rollout: { steps: [1, 100], interval: 1h }
`)).start()
  })
  afterAll(async () => {
    await sluice.stop()
    await Promise.all(backends.map((b) => b.close()))
  })

  it('a beta user gets new whatever the percent; users add/remove changes that on the next request', async () => {
    expect(await side({ 'x-user-email': 'alice@example.com', 'x-user-id': 'a' })).toBe('new')
    expect(await side({ 'x-user-email': 'bob@example.com', 'x-user-id': 'b' })).toBe('old')

    const add = await cli('users', 'add', 'checkout', 'beta', 'bob@example.com', 'carol@example.com')
    expect(add.code).toBe(0)
    expect(add.stdout).toContain('added carol@example.com to checkout/beta (3 members)')
    expect(await side({ 'x-user-email': 'bob@example.com', 'x-user-id': 'b' })).toBe('new')

    expect((await cli('users', 'remove', 'checkout', 'beta', 'alice@example.com')).code).toBe(0)
    expect(await side({ 'x-user-email': 'alice@example.com', 'x-user-id': 'a' })).toBe('old')

    const list = await cli('users', 'list', 'checkout')
    expect(list.stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/))).toEqual([
      ['beta', 'new', 'bob@example.com'], ['beta', 'new', 'carol@example.com'],
    ])
    const bad = await cli('users', 'add', 'checkout', 'nope', 'x')
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("no group named 'nope'")
  })

  it('rollback, a refused pause, resume and promote, all in the history with the reason', async () => {
    const rb = await cli('rollback', 'checkout', '--reason', 'errors in checkout')
    expect(rb.code).toBe(0)
    expect(rb.stdout).toContain('route checkout: rolled_back, 0% to new')

    const pause = await cli('pause', 'checkout')
    expect(pause.code).toBe(1)
    expect(pause.stderr).toContain('rolled_back')

    expect((await cli('resume', 'checkout')).code).toBe(0)
    const promote = await cli('promote', 'checkout')
    expect(promote.stdout).toContain('route checkout: completed, 100% to new')
    expect(await side({ 'x-user-id': 'anyone' })).toBe('new')

    const history = await cli('history', 'checkout')
    expect(history.code).toBe(0)
    expect(history.stdout).toMatch(/admin\s+\S+ \S+\s+0% rolled_back\s+errors in checkout/)
    expect(history.stdout).toMatch(/100% completed/)
  })
})
