import { describe, expect, it } from 'vitest'
import { queueConfig, routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

describe('Commands.setPercent on an unknown name', () => {
  it('throws SLUICE_ERR_NOT_FOUND naming the kind, and writes nothing', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout')], queues: [queueConfig('emails')] })

    await expect(f.commands.setPercent({ kind: 'route', name: 'nope' }, 100, { actor: 'admin' }))
      .rejects.toMatchObject({ code: 'SLUICE_ERR_NOT_FOUND', message: "no route named 'nope'" })
    // A queue's name is not a route's name.
    await expect(f.commands.setPercent({ kind: 'route', name: 'emails' }, 100, { actor: 'admin' }))
      .rejects.toMatchObject({ code: 'SLUICE_ERR_NOT_FOUND' })
    expect(f.store.snapshot().targets.size).toBe(0)
  })
})
