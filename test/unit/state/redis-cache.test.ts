import { describe, expect, it } from 'vitest'
import { LiveCache } from '../../../src/state/redis/cache.js'
import type { TargetLive } from '../../../src/state/store.js'

const live = (version: number, percentBp: number): TargetLive =>
  ({ version, percentBp, state: 'manual', step: -1, filePercentBp: 0, updatedAt: 0 })
const edits = (id: string) => new Map([['beta', { added: new Set([id]), removed: new Set<string>() }]])

/** A replica's copy of the shared state: snapshots never change, without a copy of everything per change. */
describe('LiveCache', () => {
  it('a snapshot handed out never changes, whatever is committed after it, targets or members', () => {
    const cache = new LiveCache()
    cache.commit([{ key: 'route/a', live: live(1, 100), members: undefined }])
    const first = cache.snapshot()
    cache.commit([{ key: 'route/a', live: live(2, 200), members: undefined }])
    // Only the targets were copied for that change; the members map is still the one `first` holds.
    cache.commit([{ key: 'route/a', live: undefined, members: { version: 1, groups: edits('u1') } }])
    cache.commit([{ key: 'route/b', live: live(1, 300), members: undefined }])
    expect(first.targets.get('route/a')!.percentBp).toBe(100)
    expect(first.targets.has('route/b')).toBe(false)
    expect(first.members.size).toBe(0)
    const second = cache.snapshot()
    expect(second.targets.get('route/a')!.percentBp).toBe(200)
    expect(second.targets.get('route/b')!.percentBp).toBe(300)
    expect(second.members.get('route/a')!.get('beta')!.added.has('u1')).toBe(true)
    cache.commit([{ key: 'route/b', live: live(2, 400), members: undefined }])
    expect(second.targets.get('route/b')!.percentBp).toBe(300)
    expect(cache.snapshot().targets.get('route/b')!.percentBp).toBe(400)
  })

  it('changes one by one between two snapshots are all there, in order, and never move back', () => {
    const cache = new LiveCache()
    const before = cache.snapshot()
    for (let v = 1; v <= 2000; v++) {
      expect(cache.commit([{ key: `route/r${v % 500}`, live: live(Math.ceil(v / 500), v), members: undefined }]))
        .toEqual([`route/r${v % 500}`])
    }
    expect(cache.commit([{ key: 'route/r1', live: live(1, 0), members: undefined }])).toEqual([]) // older: ignored
    const after = cache.snapshot()
    expect(before.targets.size).toBe(0)
    expect(after.targets.size).toBe(500)
    expect(after.targets.get('route/r1')!.percentBp).toBe(1501)
  })
})
