import { describe, expect, it } from 'vitest'
import type { RouteConfig } from '../../../src/config/types.js'
import { hashKey } from '../../../src/core/bucket.js'
import type { Outcome } from '../../../src/observe/events.js'
import { GoalCounter, REPLAY_WAIT_MS } from '../../../src/observe/goals.js'
import type { LiveSnapshot } from '../../../src/state/store.js'
import { buildViews } from '../../../src/state/views.js'
import { routeConfig } from '../../helpers/admin.js'

const route: RouteConfig = routeConfig('checkout', {
  percentBp: 5000,
  goals: [{ name: 'purchase', better: 'higher', maxLoss: undefined }, { name: 'support', better: 'lower', maxLoss: undefined }],
})
const NO_LIVE: LiveSnapshot = { targets: new Map(), members: new Map() }
const views = buildViews([route], [], NO_LIVE).routes
const view = views.get('checkout')!
const sideOf = (key: string): 'old' | 'new' => (hashKey('checkout:', key) < view.threshold ? 'new' : 'old')
const keysOn = (side: 'old' | 'new', n: number) => Array.from({ length: 500 }, (_, i) => `user-${i}`).filter((k) => sideOf(k) === side).slice(0, n)

function served(key: string, side = sideOf(key)): Outcome {
  return { kind: 'route', name: 'checkout', side, servedBy: side, reason: 'bucket', status: 200, error: undefined, fellBack: false, durationMs: 1, keyHash: hashKey('checkout:', key) }
}

function counter(): GoalCounter {
  const c = new GoalCounter()
  c.configure([route], views)
  return c
}

describe('GoalCounter', () => {
  it('counts distinct exposed keys per side', () => {
    const c = counter()
    const [a, b] = keysOn('old', 2)
    const [n] = keysOn('new', 1)
    for (const k of [a!, a!, b!, n!, n!]) c.record(served(k))
    c.record({ ...served(a!), keyHash: undefined }) // no key: no exposure
    expect(c.exposedUsers('checkout')).toEqual({ old: 2, new: 1 })
  })

  it('attributes an event to the live side, only if the key was exposed there; duplicates count once', () => {
    const c = counter()
    const [o1, o2] = keysOn('old', 2)
    const [n1, never] = keysOn('new', 2)
    c.record(served(o1!))
    c.record(served(o2!))
    c.record(served(n1!))
    c.record(served(o2!, 'new')) // o2 was also served by new once (e.g. under a higher percent), but lives on old now
    const r = c.receive('checkout', 'purchase', view, [
      { key: o1!, value: 10 }, { key: o1!, value: 10 }, { key: n1!, value: 5 }, { key: never!, value: 99 }, { key: 'nobody', value: 1 },
    ])
    expect(r).toEqual({ accepted: 3, ignored: 2 })
    const report = c.report('checkout', 0.05)!
    expect(report['purchase']!.old).toMatchObject({ users: 2, converted: 1, value: 10, rate: 0.5 })
    expect(report['purchase']!.new).toMatchObject({ users: 2, converted: 1, value: 5 })
    expect(report['support']!.old.converted).toBe(0)
  })

  it('a key exposed only on new that now lives on old (the percent went down) is ignored', () => {
    const c = counter()
    const [o] = keysOn('old', 1)
    c.record(served(o!, 'new'))
    expect(c.convert('checkout', 'purchase', hashKey('checkout:', o!), 'old', 0)).toBe('ignored')
    expect(c.convert('checkout', 'purchase', hashKey('checkout:', o!), 'new', 0)).toBe('counted')
  })

  it('keeps counts across a reconfiguration that keeps the goal, drops removed goals and routes', () => {
    const c = counter()
    const [o] = keysOn('old', 1)
    c.record(served(o!))
    c.convert('checkout', 'purchase', hashKey('checkout:', o!), 'old', 3)
    c.configure([{ ...route, goals: [route.goals[0]!] }], views)
    expect(c.report('checkout', 0.05)!['purchase']!.old).toMatchObject({ users: 1, converted: 1, value: 3 })
    expect(c.hasGoal('checkout', 'support')).toBe(false)
    c.configure([{ ...route, goals: [] }], views)
    expect(c.report('checkout', 0.05)).toBeUndefined()
    expect(c.hasGoal('checkout', 'purchase')).toBe(false)
  })

  it('restarts users and conversions when the percent changes (one split per count), keeps the event totals', () => {
    const c = counter()
    const [o] = keysOn('old', 1)
    c.record(served(o!))
    c.convert('checkout', 'purchase', hashKey('checkout:', o!), 'old', 3)
    c.configure([route], views) // same percent: kept
    expect(c.report('checkout', 0.05)!['purchase']!.old).toMatchObject({ users: 1, converted: 1, value: 3 })
    const at60 = buildViews([{ ...route, percentBp: 6000 }], [], NO_LIVE).routes
    c.configure([route], at60)
    expect(c.report('checkout', 0.05)!['purchase']!.old).toMatchObject({ users: 0, converted: 0, value: 0 })
    expect(c.series()[0]!.events.get('purchase')).toEqual({ old: 1, new: 0 })
    expect(c.series()[0]!.exposed).toEqual({ old: 0, new: 0 })
  })
})

describe('GoalCounter: the step\'s and the rollout\'s tallies', () => {
  const at = (percentBp: number) => buildViews([{ ...route, percentBp }], [], NO_LIVE).routes

  it('sinceRollout keeps counting across steps; the step restarts', () => {
    const c = counter()
    const [o] = keysOn('old', 1)
    c.record(served(o!))
    c.convert('checkout', 'purchase', hashKey('checkout:', o!), 'old', 3)
    c.configure([route], at(6000))
    const r = c.report('checkout', 0.05)!['purchase']!
    expect(r.old).toMatchObject({ users: 0, converted: 0 })
    expect(r.sinceRollout.old).toMatchObject({ users: 1, converted: 1, value: 3 })
    // served again at the new step: once in the step, still once in the rollout
    c.record(served(o!))
    expect(c.convert('checkout', 'purchase', hashKey('checkout:', o!), 'old', 3)).toBe('counted')
    const after = c.report('checkout', 0.05)!['purchase']!
    expect(after.old).toMatchObject({ users: 1, converted: 1, value: 3 })
    expect(after.sinceRollout.old).toMatchObject({ users: 1, converted: 1, value: 3 })
  })

  it('a key the step has not seen but the rollout has counts for the rollout only', () => {
    const c = counter()
    const [o] = keysOn('old', 1)
    c.record(served(o!))
    c.configure([route], at(6000))
    expect(c.convert('checkout', 'purchase', hashKey('checkout:', o!), 'old', 1)).toBe('counted')
    expect(c.convert('checkout', 'purchase', hashKey('checkout:', o!), 'old', 1)).toBe('duplicate')
    const r = c.report('checkout', 0.05)!['purchase']!
    expect(r.old.converted).toBe(0)
    expect(r.sinceRollout.old.converted).toBe(1)
    expect(c.series()[0]!.events.get('purchase')).toEqual({ old: 2, new: 0 })
  })

  it('the rollout\'s tally survives a rollback to 0 and restarts when the percent rises from 0 again', () => {
    const c = counter()
    const [n] = keysOn('new', 1)
    c.record(served(n!))
    c.configure([route], at(0))
    expect(c.report('checkout', 0.05)!['purchase']!.sinceRollout.new.users).toBe(1)
    c.configure([route], at(500))
    expect(c.report('checkout', 0.05)!['purchase']!.sinceRollout.new.users).toBe(0)
  })

  it('attribution in the step\'s tally: exposure on the live side only, each key converts once', () => {
    const c = counter()
    const keys = keysOn('new', 20)
    for (const k of keys.slice(0, 10)) c.record(served(k))
    for (const k of keys) c.convert('checkout', 'support', hashKey('checkout:', k), 'new', 0)
    for (const k of keys) c.convert('checkout', 'support', hashKey('checkout:', k), 'new', 0)
    expect(c.report('checkout', 0.05)!['support']!.new).toMatchObject({ users: 10, converted: 10 })
  })
})

describe('GoalCounter: the fleet\'s records', () => {
  const fp = (k: string) => hashKey('checkout:', k)
  const fleetCounter = () => { const c = counter(); c.shareWithFleet(); return c }

  it('buffers what it counts for the fleet: new exposures once, events that are not duplicates', () => {
    const c = fleetCounter()
    const [o] = keysOn('old', 1)
    c.record(served(o!))
    c.record(served(o!))
    c.convert('checkout', 'purchase', fp(o!), 'old', 3)
    c.convert('checkout', 'purchase', fp(o!), 'old', 3)
    c.convert('checkout', 'purchase', fp('elsewhere'), 'new', 1) // exposed on another replica, perhaps: the log decides
    expect(c.drain('checkout')).toEqual([{ percentBp: 5000, exposed: { old: [fp(o!)], new: [] }, conversions: [
      { goal: 'purchase', side: 'old', keyHash: fp(o!), value: 3 }, { goal: 'purchase', side: 'new', keyHash: fp('elsewhere'), value: 1 },
    ] }])
    expect(c.drain('checkout')).toEqual([])
    const plain = counter()
    plain.record(served(o!))
    expect(plain.drain('checkout')).toEqual([]) // without the fleet nothing is buffered
  })

  it('what an old percent counted and did not flush yet is handed over as that percent\'s, before the new one\'s', () => {
    const c = fleetCounter()
    const [o] = keysOn('old', 1)
    c.record(served(o!))
    c.configure([route], buildViews([{ ...route, percentBp: 6000 }], [], NO_LIVE).routes)
    c.record(served(o!))
    expect(c.drain('checkout')).toEqual([
      { percentBp: 5000, exposed: { old: [fp(o!)], new: [] }, conversions: [] },
      { percentBp: 6000, exposed: { old: [fp(o!)], new: [] }, conversions: [] },
    ])
  })

  it('replays other replicas\' chunks: exposure and attribution from the fleet, duplicates once, only the current step in the step\'s tally', () => {
    const c = fleetCounter()
    c.replay('checkout', [
      { stepStart: 10, exposed: { old: [1, 2], new: [3] }, conversions: [{ goal: 'purchase', side: 'old', keyHash: 1, value: 5 }] },
      { stepStart: 10, exposed: { old: [2], new: [] }, conversions: [{ goal: 'purchase', side: 'old', keyHash: 1, value: 5 }, { goal: 'purchase', side: 'new', keyHash: 3, value: 2 }] },
      { stepStart: 5, exposed: { old: [9], new: [] }, conversions: [] },
    ], 10, 0)
    const r = c.report('checkout', 0.05)!['purchase']!
    expect(r.old).toMatchObject({ users: 2, converted: 1, value: 5 })
    expect(r.new).toMatchObject({ users: 1, converted: 1, value: 2 })
    expect(r.sinceRollout.old.users).toBe(3)
  })

  it('an event replayed before its key\'s exposure waits for it, for REPLAY_WAIT_MS at most', () => {
    const c = fleetCounter()
    c.replay('checkout', [{ stepStart: 0, exposed: { old: [], new: [] }, conversions: [{ goal: 'purchase', side: 'new', keyHash: 8, value: 1 }, { goal: 'purchase', side: 'new', keyHash: 9, value: 1 }] }], 0, 0)
    expect(c.report('checkout', 0.05)!['purchase']!.new.converted).toBe(0)
    c.replay('checkout', [{ stepStart: 0, exposed: { old: [], new: [8] }, conversions: [] }], 0, 1000)
    expect(c.report('checkout', 0.05)!['purchase']!.new).toMatchObject({ users: 1, converted: 1 })
    c.replay('checkout', [], 0, REPLAY_WAIT_MS + 1)
    c.replay('checkout', [{ stepStart: 0, exposed: { old: [], new: [9] }, conversions: [] }], 0, REPLAY_WAIT_MS + 2)
    expect(c.report('checkout', 0.05)!['purchase']!.new).toMatchObject({ users: 2, converted: 1 }) // 9's event gave up waiting
  })

  it('restart forgets the step (and the rollout) for a replay from the log', () => {
    const c = fleetCounter()
    c.replay('checkout', [{ stepStart: 0, exposed: { old: [1], new: [] }, conversions: [] }], 0, 0)
    c.restart('checkout', false)
    expect(c.report('checkout', 0.05)!['purchase']!).toMatchObject({ old: { users: 0 }, sinceRollout: { old: { users: 1 } } })
    c.restart('checkout', true)
    expect(c.report('checkout', 0.05)!['purchase']!.sinceRollout.old.users).toBe(0)
  })
})
