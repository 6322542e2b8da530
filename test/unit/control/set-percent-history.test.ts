import { describe, expect, it } from 'vitest'
import { routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

describe('Commands.setPercent', () => {
  it('records from → to with actor and reason, takes the route to manual, reports and logs it', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 100 })], queues: [] })
    await f.commands.applyFileIntent(f.state.targets, undefined)
    f.clock.advance(60_000)

    const live = await f.commands.setPercent({ kind: 'route', name: 'checkout' }, 733, { actor: 'admin', reason: 'ramp' })

    expect(live).toMatchObject({ percentBp: 733, state: 'manual', filePercentBp: 100, updatedAt: f.clock.now() })
    const events = await f.store.history({ kind: 'route', name: 'checkout' }, 10)
    expect(events).toEqual([{
      at: f.clock.now(), actor: 'admin', reason: 'ramp',
      from: { percentBp: 100, state: 'manual' }, to: { percentBp: 733, state: 'manual' },
    }])
    expect(f.recorder.percents.get('route/checkout')).toBe(733)
    expect(f.recorder.states.get('route/checkout')).toBe('manual')
    const line = f.logs.find((l) => l['msg'] === 'percent changed')
    expect(line).toMatchObject({ level: 'info', kind: 'route', name: 'checkout', from: 1, to: 7.33, actor: 'admin', reason: 'ramp' })
  })

  it('takes a target out of an automatic rollout state', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout')], queues: [] })
    const ref = { kind: 'route', name: 'checkout' } as const
    await f.store.update(ref, 0, { percentBp: 500, state: 'progressing', step: 1, filePercentBp: 0, updatedAt: 0 }, undefined)

    const live = await f.commands.setPercent(ref, 500, { actor: 'admin' })

    expect(live.state).toBe('manual')
    const [event] = await f.store.history(ref, 10)
    expect(event).toMatchObject({ from: { percentBp: 500, state: 'progressing' }, to: { percentBp: 500, state: 'manual' } })
  })

  it('writes nothing when the percent is already set by hand', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 500 })], queues: [] })
    await f.commands.applyFileIntent(f.state.targets, undefined)
    const ref = { kind: 'route', name: 'checkout' } as const
    const before = f.store.get(ref)

    const live = await f.commands.setPercent(ref, 500, { actor: 'admin' })

    expect(live).toBe(before)
    expect(await f.store.history(ref, 10)).toEqual([])
  })

  it('records the change from the file percent when the target has no live state yet', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 100 })], queues: [] })
    const ref = { kind: 'route', name: 'checkout' } as const

    await f.commands.setPercent(ref, 200, { actor: 'admin' })

    expect(f.store.get(ref)).toMatchObject({ percentBp: 200, filePercentBp: 100, step: -1, version: 1 })
    expect(await f.store.history(ref, 10)).toMatchObject([{ actor: 'admin', from: { percentBp: 100 }, to: { percentBp: 200 } }])
  })
})
