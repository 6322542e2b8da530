import { describe, expect, it } from 'vitest'
import { routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

describe('reload rule: the file percent changed', () => {
  it('applies the new file percent over a live change, as actor config with a history event and a log line', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 100 })], queues: [] })
    const ref = { kind: 'route', name: 'checkout' } as const
    await f.commands.applyFileIntent(f.state.targets, undefined)
    await f.commands.setPercent(ref, 700, { actor: 'admin' })

    const prev = f.state.targets
    f.state.targets = { routes: [routeConfig('checkout', { percentBp: 2000 })], queues: [] }
    await f.commands.applyFileIntent(f.state.targets, prev)

    expect(f.store.get(ref)).toMatchObject({ percentBp: 2000, filePercentBp: 2000, state: 'manual' })
    const events = await f.store.history(ref, 10)
    expect(events[1]).toMatchObject({ actor: 'config', from: { percentBp: 700 }, to: { percentBp: 2000 } })
    expect(f.logs.filter((l) => l['msg'] === 'percent changed').at(-1)).toMatchObject({ actor: 'config', from: 7, to: 20 })

    // Applied once: reloading the same file again changes nothing.
    await f.commands.setPercent(ref, 300, { actor: 'admin' })
    await f.commands.applyFileIntent(f.state.targets, f.state.targets)
    expect(f.store.get(ref)?.percentBp).toBe(300)
  })
})
