import { describe, expect, it } from 'vitest'
import type { TargetRef } from '../../../src/core/types.js'
import { MemoryStateStore } from '../../../src/state/memory.js'
import type { HistoryEvent, TargetLive, UpdateResult } from '../../../src/state/store.js'
import { routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

/** Lets another writer slip in just before the next `n` updates, as a second replica would. */
class RacingStore extends MemoryStateStore {
  races = 0
  override async update(ref: TargetRef, expectVersion: number, next: Omit<TargetLive, 'version'>, event: HistoryEvent | undefined): Promise<UpdateResult> {
    if (this.races > 0) {
      this.races--
      const cur = this.get(ref)!
      await super.update(ref, cur.version, { ...cur, state: 'paused' }, {
        at: 1, actor: 'analysis', reason: 'concurrent', from: { percentBp: cur.percentBp, state: cur.state }, to: { percentBp: cur.percentBp, state: 'paused' },
      })
    }
    return super.update(ref, expectVersion, next, event)
  }
}

describe('Commands.setPercent under contention', () => {
  it('retries the compare-and-set on the fresh state and records the change after the concurrent one', async () => {
    const store = new RacingStore()
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 100 })], queues: [] }, store)
    await f.commands.applyFileIntent(f.state.targets, undefined)
    const ref = { kind: 'route', name: 'checkout' } as const
    store.races = 2

    const live = await f.commands.setPercent(ref, 2500, { actor: 'admin' })

    expect(live).toMatchObject({ percentBp: 2500, state: 'manual' })
    const events = await store.history(ref, 10)
    expect(events.map((e) => e.actor)).toEqual(['analysis', 'analysis', 'admin'])
    // The admin event starts from what the other writer left, not from the stale read.
    expect(events[2]).toMatchObject({ from: { percentBp: 100, state: 'paused' }, to: { percentBp: 2500, state: 'manual' } })
  })

  it('gives up with SLUICE_ERR_CONFLICT when every attempt loses', async () => {
    const store = new RacingStore()
    const f = commandsFixture({ routes: [routeConfig('checkout')], queues: [] }, store)
    await f.commands.applyFileIntent(f.state.targets, undefined)
    store.races = 1000

    await expect(f.commands.setPercent({ kind: 'route', name: 'checkout' }, 100, { actor: 'admin' }))
      .rejects.toMatchObject({ code: 'SLUICE_ERR_CONFLICT' })
  })
})
