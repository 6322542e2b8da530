import { describe, expect, it } from 'vitest'
import type { RouteConfig } from '../../../src/config/types.js'
import { thresholdFor } from '../../../src/core/bucket.js'
import { buildViews } from '../../../src/state/views.js'
import type { LiveSnapshot } from '../../../src/state/store.js'

const route: RouteConfig = {
  name: 'checkout', match: { host: undefined, pathPrefix: '/' }, old: ['http://o:1'], new: ['http://n:1'],
  percentBp: 500, sticky: [{ kind: 'header', name: 'x-user-id' }], assignCookie: undefined,
  groups: [
    { name: 'beta', backend: 'new', key: undefined, users: ['alice', 'bob'], usersFile: undefined },
    { name: 'legacy', backend: 'old', key: { kind: 'header', name: 'x-tenant' }, users: ['acme'], usersFile: undefined },
  ],
  optIn: true, rollout: undefined, goals: [], timeouts: { connectMs: 1, headerMs: 1, idleMs: 1 },
  exposeBackendHeader: false,
}
const empty: LiveSnapshot = { targets: new Map(), members: new Map() }

describe('buildViews', () => {
  it('uses the file percent when there is no live state, and the live one when there is', () => {
    expect(buildViews([route], [], empty).routes.get('checkout')).toMatchObject({ percentBp: 500, threshold: thresholdFor(500), hashPrefix: 'checkout:' })
    const live: LiveSnapshot = { targets: new Map([['route/checkout', { percentBp: 1234, state: 'manual', step: -1, filePercentBp: 500, updatedAt: 0, version: 3 }]]), members: new Map() }
    expect(buildViews([route], [], live).routes.get('checkout')?.percentBp).toBe(1234)
  })

  it('groups keep config order, their own key source, and live edits on top of the file', () => {
    const live: LiveSnapshot = {
      targets: new Map(),
      members: new Map([['route/checkout', new Map([['beta', { added: new Set(['carol']), removed: new Set(['bob']) }]])]]),
    }
    const view = buildViews([route], [], live).routes.get('checkout')!
    expect(view.groups.map((g) => g.name)).toEqual(['beta', 'legacy'])
    expect([...view.groups[0]!.members.keys()].sort()).toEqual(['alice', 'carol'])
    expect(view.groups[0]!.members.get('alice')).toEqual({ side: 'new', reason: 'group', group: 'beta' })
    expect(view.groups[1]!.source).toEqual({ kind: 'header', name: 'x-tenant' })
    expect(view.groups[1]!.members.get('acme')?.side).toBe('old')
    expect(Object.isFrozen(view)).toBe(true)
  })
})

describe('buildViews at scale', () => {
  it('reuses the view of every target whose config, live state and edits are the same objects', () => {
    const other: RouteConfig = { ...route, name: 'other' }
    const first = buildViews([route, other], [], empty).routes
    const same = buildViews([route, other], [], empty).routes
    expect(same.get('checkout')).toBe(first.get('checkout'))
    const changed: LiveSnapshot = { targets: new Map([['route/other', { percentBp: 42, state: 'manual', step: -1, filePercentBp: 500, updatedAt: 0, version: 1 }]]), members: new Map() }
    const next = buildViews([route, other], [], changed).routes
    expect(next.get('checkout')).toBe(first.get('checkout'))
    expect(next.get('other')).not.toBe(first.get('other'))
    expect(next.get('other')?.percentBp).toBe(42)
    // A reloaded config is new objects: new views, even with equal values.
    expect(buildViews([{ ...route }], [], empty).routes.get('checkout')).not.toBe(first.get('checkout'))
  })
})
