import { describe, expect, it } from 'vitest'
import { queueConfig, routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

describe('Commands.applyFileIntent at start', () => {
  it('creates manual live state at the file percent for every route and queue, without history', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 250 })], queues: [queueConfig('emails', { percentBp: 1000 })] })

    await f.commands.applyFileIntent(f.state.targets, undefined)

    expect(f.store.get({ kind: 'route', name: 'checkout' })).toMatchObject({ percentBp: 250, filePercentBp: 250, state: 'manual', step: -1, version: 1 })
    expect(f.store.get({ kind: 'queue', name: 'emails' })).toMatchObject({ percentBp: 1000, filePercentBp: 1000, state: 'manual', step: -1 })
    expect(await f.store.history({ kind: 'route', name: 'checkout' }, 10)).toEqual([])
    expect(f.recorder.percents).toEqual(new Map([['route/checkout', 250], ['queue/emails', 1000]]))
  })

  it('keeps live state that already exists (a restart with persisted state)', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 250 })], queues: [] })
    const ref = { kind: 'route', name: 'checkout' } as const
    await f.store.update(ref, 0, { percentBp: 0, state: 'rolled_back', step: 2, filePercentBp: 250, updatedAt: 0 }, undefined)

    await f.commands.applyFileIntent(f.state.targets, undefined)

    expect(f.store.get(ref)).toMatchObject({ percentBp: 0, state: 'rolled_back', step: 2 })
    expect(f.recorder.states.get('route/checkout')).toBe('rolled_back')
  })
})
