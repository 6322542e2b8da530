import { describe, expect, it } from 'vitest'
import { firstRoute } from './load-helper.js'

const BACKENDS = `    old: http://127.0.0.1:3001\n    new: http://127.0.0.1:3002\n`

describe('normalize: sticky key sources', () => {
  it('parses sources in order, lower-casing header names', async () => {
    const route = await firstRoute(`  - name: a\n${BACKENDS}    sticky: [header:X-User-Id, cookie:Session, query:uid, ip]\n`)
    expect(route.sticky).toEqual([
      { kind: 'header', name: 'x-user-id' },
      { kind: 'cookie', name: 'Session' },
      { kind: 'query', name: 'uid' },
      { kind: 'ip' },
    ])
  })

  it('adds the assignCookie cookie as the last source', async () => {
    const route = await firstRoute(`  - name: a\n${BACKENDS}    sticky: [header:x-user-id]\n    assignCookie: sluice-id\n`)
    expect(route.assignCookie).toBe('sluice-id')
    expect(route.sticky).toEqual([{ kind: 'header', name: 'x-user-id' }, { kind: 'cookie', name: 'sluice-id' }])
  })

  it('does not add the assignCookie cookie twice', async () => {
    const route = await firstRoute(`  - name: a\n${BACKENDS}    sticky: [cookie:sluice-id, header:x-user-id]\n    assignCookie: sluice-id\n`)
    expect(route.sticky).toEqual([{ kind: 'cookie', name: 'sluice-id' }, { kind: 'header', name: 'x-user-id' }])
  })

  it("parses a group's own key; without one the group uses the route's key", async () => {
    const route = await firstRoute(`  - name: a\n${BACKENDS}    groups:\n      beta: { backend: new, key: header:X-Email }\n      vip: { backend: old }\n`)
    expect(route.groups.map((g) => [g.name, g.backend, g.key])).toEqual([
      ['beta', 'new', { kind: 'header', name: 'x-email' }],
      ['vip', 'old', undefined],
    ])
  })
})
