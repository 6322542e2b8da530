import { describe, expect, it } from 'vitest'
import { routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

describe('Commands.setPercent with a bad percent', () => {
  it.each([-1, 10_001, 12.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s basis points with SLUICE_ERR_BAD_REQUEST', async (bp) => {
    const f = commandsFixture({ routes: [routeConfig('checkout')], queues: [] })
    await f.commands.applyFileIntent(f.state.targets, undefined)

    await expect(f.commands.setPercent({ kind: 'route', name: 'checkout' }, bp, { actor: 'admin' }))
      .rejects.toMatchObject({ code: 'SLUICE_ERR_BAD_REQUEST' })
    expect(f.store.get({ kind: 'route', name: 'checkout' })?.percentBp).toBe(0)
  })

  it('accepts both ends of the range', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout')], queues: [] })
    const ref = { kind: 'route', name: 'checkout' } as const
    expect((await f.commands.setPercent(ref, 10_000, { actor: 'admin' })).percentBp).toBe(10_000)
    expect((await f.commands.setPercent(ref, 0, { actor: 'admin' })).percentBp).toBe(0)
  })
})
