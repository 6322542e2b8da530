import { describe, expect, it } from 'vitest'
import { routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

describe('reload rule: an unrelated reload', () => {
  it('keeps a live percent change when the file percent did not change', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 100 })], queues: [] })
    const ref = { kind: 'route', name: 'checkout' } as const
    await f.commands.applyFileIntent(f.state.targets, undefined)
    await f.commands.setPercent(ref, 700, { actor: 'admin' })

    // Same percent in the file, something else edited (here: the new side's origin).
    const prev = f.state.targets
    f.state.targets = { routes: [routeConfig('checkout', { percentBp: 100, new: ['http://127.0.0.1:9999'] })], queues: [] }
    await f.commands.applyFileIntent(f.state.targets, prev)

    expect(f.store.get(ref)).toMatchObject({ percentBp: 700, filePercentBp: 100, state: 'manual' })
    expect((await f.store.history(ref, 10)).map((e) => e.actor)).toEqual(['admin'])
    expect(f.recorder.percents.get('route/checkout')).toBe(700)
  })
})
