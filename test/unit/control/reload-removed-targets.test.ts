import { describe, expect, it } from 'vitest'
import { queueConfig, routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

const MESSAGE = 'targets removed from the config; their live state is kept'

describe('reload: targets removed from the config', () => {
  it('one info line names them, routes first, in the old config\'s order; their live state stays', async () => {
    const f = commandsFixture({
      routes: ['a', 'b', 'c'].map((n) => routeConfig(n, { percentBp: 100 })),
      queues: ['q1', 'q2'].map((n) => queueConfig(n, { percentBp: 100 })),
    })
    await f.commands.applyFileIntent(f.state.targets, undefined)
    const prev = f.state.targets
    // A queue named like a removed route is another target: route/c is still removed.
    f.state.targets = { routes: [routeConfig('b'), routeConfig('d')], queues: [queueConfig('q2'), queueConfig('c')] }
    await f.commands.applyFileIntent(f.state.targets, prev)
    expect(f.logs.filter((l) => l['msg'] === MESSAGE)).toEqual([
      expect.objectContaining({ level: 'info', removed: ['route/a', 'route/c', 'queue/q1'] }),
    ])
    expect(f.store.get({ kind: 'route', name: 'a' })?.percentBp).toBe(100)

    await f.commands.applyFileIntent(f.state.targets, f.state.targets)
    expect(f.logs.filter((l) => l['msg'] === MESSAGE)).toHaveLength(1)
  })
})
