import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

/** Issue 3, scenarios C and D: beta users by e-mail, VIP users by user id, pinned at any percent. */
describe('beta and VIP groups', () => {
  let oldB: TestBackend
  let newB: TestBackend
  let dp: TestDataPlane

  beforeAll(async () => {
    oldB = await startBackend('old')
    newB = await startBackend('new')
    dp = await startDataPlane([routeConfig({
      name: 'checkout', old: [oldB.url], new: [newB.url], percentBp: 0, sticky: [{ kind: 'header', name: 'x-user-id' }],
      groups: [
        { name: 'beta', backend: 'new', key: { kind: 'header', name: 'x-user-email' }, users: ['alice@example.com'], usersFile: undefined },
        { name: 'vip', backend: 'new', key: undefined, users: ['uid-1001', 'uid-1002'], usersFile: undefined },
        { name: 'legacy', backend: 'old', key: undefined, users: ['uid-9'], usersFile: undefined },
      ],
    })])
  })
  afterAll(async () => {
    await dp.close()
    await Promise.all([oldB.close(), newB.close()])
  })

  const sideOf = async (headers: Record<string, string>) => (await (await dp.client.request({ path: '/', method: 'GET', headers })).body.text())

  it('at 0 %: beta (own key) and VIP (sticky key) users get new, everyone else old', async () => {
    expect(await sideOf({ 'x-user-email': 'alice@example.com', 'x-user-id': 'uid-1' })).toBe('new')
    expect(await sideOf({ 'x-user-id': 'uid-1001' })).toBe('new')
    expect(await sideOf({ 'x-user-id': 'uid-1002' })).toBe('new')
    for (let i = 0; i < 50; i++) expect(await sideOf({ 'x-user-id': `uid-${i}`, 'x-user-email': `u${i}@example.com` })).toBe('old')
    // An outcome is published when the response closes, which may come after the client has the
    // body: wait for all 53 rather than reading whatever is there.
    const last = (await waitForOutcomes(dp, 53)).at(-1)!
    expect(last).toMatchObject({ reason: 'bucket', side: 'old' })
    expect(dp.outcomes.find((o) => o.reason === 'group' && o.side === 'new')).toBeDefined()
  })

  it('at 100 %: a group pinned to old keeps its users on old', async () => {
    dp.setPercent('checkout', 10_000)
    expect(await sideOf({ 'x-user-id': 'uid-9' })).toBe('old')
    expect(await sideOf({ 'x-user-id': 'uid-10' })).toBe('new')
    dp.setPercent('checkout', 0)
  })
})
