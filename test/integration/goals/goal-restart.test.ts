import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { call } from '../../helpers/admin.js'
import { appConfig, startApp } from '../../helpers/app.js'
import { shop } from '../../helpers/shop.js'
import { startSideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'

/** With the memory store and a state file, goal counts survive a restart (README "Judging business outcomes"). */
describe('goal counts across a restart (memory store with state.file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-goal-restart-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a restarted sluice shows the same goals, the step\'s and the rollout\'s, and keeps counting', async () => {
    const backends = [await startSideBackend('old'), await startSideBackend('new')]
    const config = appConfig(`state: { store: memory, file: ${join(dir, 'state.json')} }
routes:
  - name: shop
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    percent: 30
    sticky: [header:x-user-id]
    goals:
      - { name: purchase, better: higher }
`)
    const boot = () => startApp(config, { tickMs: 100 })
    const goals = async (admin: string) => ((await call(admin, 'GET', '/api/routes/shop')).json as { goals: Record<string, unknown> }).goals
    try {
      const first = await boot()
      const run = await shop({ ...first, route: 'shop', goal: 'purchase', users: 600, rates: { old: 0.3, new: 0.2 }, prefix: 'r' })
      const before = await goals(first.admin)
      expect(before['purchase']).toMatchObject({ old: { users: run.served.old, converted: run.bought.old }, new: { users: run.served.new, converted: run.bought.new } })
      await first.app.shutdown('test') // writes what the last second counted
      const second = await boot()
      try {
        await waitFor(async () => JSON.stringify(await goals(second.admin)) === JSON.stringify(before), { message: 'the counts back after the restart' })
        // a user who bought before the restart does not count twice
        const res = await call(second.admin, 'POST', '/api/routes/shop/goals/purchase', { body: { events: [{ key: run.buyers[0]! }] } })
        expect(res.json).toEqual({ accepted: 1, ignored: 0 })
        expect(await goals(second.admin)).toEqual(before)
      } finally {
        await second.app.shutdown('test')
      }
    } finally {
      await Promise.all(backends.map((b) => b.close()))
    }
  }, 60_000)
})
