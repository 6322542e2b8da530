import { describe, expect, it } from 'vitest'
import type { RouteConfig } from '../../../src/config/types.js'
import { decide } from '../../../src/core/decide.js'
import { buildViews } from '../../../src/state/views.js'

/** Issue 3: 100,000 ids in a group keep the decision O(1) and cost no more than a few tens of MB. */
describe('a group with 100,000 members', () => {
  const users = Array.from({ length: 100_000 }, (_, i) => `user-${i}@example.com`)
  const route: RouteConfig = {
    name: 'checkout', match: { host: undefined, pathPrefix: '/' }, old: ['http://o:1'], new: ['http://n:1'],
    percentBp: 0, sticky: [{ kind: 'header', name: 'x-user-email' }], assignCookie: undefined,
    groups: [{ name: 'beta', backend: 'new', key: undefined, users, usersFile: undefined }],
    optIn: false, rollout: undefined, timeouts: { connectMs: 1, headerMs: 1, idleMs: 1 }, exposeBackendHeader: false,
  }

  it('builds a view whose membership costs well under 50 MB of heap', () => {
    global.gc?.()
    const before = process.memoryUsage().heapUsed
    const views = buildViews([route], [], { targets: new Map(), members: new Map() })
    const after = process.memoryUsage().heapUsed
    expect(views.routes.get('checkout')!.groups[0]!.members.size).toBe(100_000)
    // The ids themselves are shared with the config; the Map adds its entries (~10 MB).
    expect((after - before) / 1e6).toBeLessThan(50)
  })

  it('decides members and non-members alike, by hash lookup (no scan)', () => {
    const view = buildViews([route], [], { targets: new Map(), members: new Map() }).routes.get('checkout')!
    const rand = () => 0.5
    expect(decide(view, 'user-99999@example.com', undefined, rand)).toEqual({ side: 'new', reason: 'group', group: 'beta' })
    expect(decide(view, 'user-0@example.com', undefined, rand).reason).toBe('group')
    expect(decide(view, 'stranger@example.com', undefined, rand)).toMatchObject({ side: 'old', reason: 'bucket' })
    // Spread over the whole list: every member is found (membership is a Map lookup, not a scan).
    let hits = 0
    for (let i = 0; i < 100_000; i += 997) if (decide(view, users[i]!, undefined, rand).reason === 'group') hits++
    expect(hits).toBe(Math.ceil(100_000 / 997))
  })
})
