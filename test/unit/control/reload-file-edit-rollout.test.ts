import { describe, expect, it } from 'vitest'
import type { RolloutPolicy } from '../../../src/config/types.js'
import { routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

const rollout: RolloutPolicy = {
  stepsBp: [100, 500, 1000, 10_000], intervalMs: 60_000, schedule: undefined, analysis: undefined,
}
const ref = { kind: 'route', name: 'checkout' } as const

/** A fixture whose route's rollout has reached 5 % (step 2). */
async function progressing() {
  const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 0, rollout })], queues: [] })
  await f.commands.applyFileIntent(f.state.targets, undefined)
  await f.commands.tick(ref, true, undefined, undefined)
  f.clock.advance(60_000)
  await f.commands.tick(ref, true, undefined, undefined)
  expect(f.store.get(ref)).toMatchObject({ percentBp: 500, state: 'progressing', step: 1 })
  return f
}

async function editFilePercent(f: Awaited<ReturnType<typeof progressing>>, percentBp: number) {
  const prev = f.state.targets
  f.state.targets = { routes: [routeConfig('checkout', { percentBp, rollout })], queues: [] }
  await f.commands.applyFileIntent(f.state.targets, prev)
}

describe('reload rule: a file edit of percent on a route with a rollout', () => {
  it('while the rollout runs: the rollout keeps its percent, the file value is recorded, a warning says so', async () => {
    const f = await progressing()
    await editFilePercent(f, 200)
    expect(f.store.get(ref)).toMatchObject({ percentBp: 500, state: 'progressing', step: 1, filePercentBp: 200 })
    const warn = f.logs.filter((l) => l['level'] === 'warn').at(-1)
    expect(warn?.['msg']).toBe('percent in the config file changed 0 → 2 % while the rollout is progressing at 5 %: the rollout keeps its percent; the file\'s percent is only where a rollout starts')
    // Recorded once: the next reload of the same file neither warns again nor changes anything.
    const warnings = f.logs.filter((l) => l['level'] === 'warn').length
    await editFilePercent(f, 200)
    expect(f.logs.filter((l) => l['level'] === 'warn')).toHaveLength(warnings)
    expect(f.store.get(ref)?.percentBp).toBe(500)
  })

  it('after the rollout ended (rolled back): applied as before, and the warning says the rollout is now manual', async () => {
    const f = await progressing()
    await f.commands.run(ref, 'rollback', { actor: 'admin' })
    await editFilePercent(f, 200)
    expect(f.store.get(ref)).toMatchObject({ percentBp: 200, state: 'manual' })
    expect(f.logs.filter((l) => l['level'] === 'warn').at(-1)?.['msg']).toBe('percent in the config file changed 0 → 2 %: applied; the rollout (rolled_back before) is now manual at 2 % (sluice resume checkout starts it again)')
  })
})
