import { describe, expect, it } from 'vitest'
import type { RouteConfig } from '../../../src/config/types.js'
import { hashKey } from '../../../src/core/bucket.js'
import { GoalSync } from '../../../src/control/goal-sync.js'
import { GoalCounter } from '../../../src/observe/goals.js'
import { createLogger } from '../../../src/observe/log.js'
import type { GoalChunk, GoalLog } from '../../../src/state/goal-log.js'
import { MemoryStateStore } from '../../../src/state/memory.js'
import { buildViews } from '../../../src/state/views.js'
import { ManualClock } from '../../../src/util/clock.js'
import { routeConfig } from '../../helpers/admin.js'

/** The goal log as a plain array per (route, rollout): what GoalSync wrote, in order. */
class ArrayLog implements GoalLog {
  readonly logs = new Map<string, GoalChunk[]>()
  async append(route: string, rolloutStart: number, chunk: GoalChunk): Promise<void> {
    const key = `${route}:${rolloutStart}`
    this.logs.set(key, [...(this.logs.get(key) ?? []), chunk])
  }
  async read(route: string, rolloutStart: number, from: number): Promise<{ chunks: GoalChunk[]; next: number }> {
    const all = this.logs.get(`${route}:${rolloutStart}`) ?? []
    return { chunks: all.slice(from), next: all.length }
  }
}

const route: RouteConfig = routeConfig('shop', { percentBp: 5000, goals: [{ name: 'purchase', better: 'higher', maxLoss: undefined }] })
const REF = { kind: 'route', name: 'shop' } as const
const served = (c: GoalCounter, key: string, side: 'old' | 'new') =>
  c.record({ kind: 'route', name: 'shop', side, servedBy: side, reason: 'bucket', status: 200, error: undefined, fellBack: false, durationMs: 1, keyHash: hashKey('shop:', key) })

describe('GoalSync', () => {
  it('writes each step\'s records under that step, replays the log, and follows the history to a new step', async () => {
    const store = new MemoryStateStore()
    const log = new ArrayLog()
    const counter = new GoalCounter()
    counter.shareWithFleet()
    const at = (percentBp: number) => buildViews([{ ...route, percentBp }], [], store.snapshot()).routes
    counter.configure([route], at(5000))
    const sync = new GoalSync({ counter, log, store, clock: new ManualClock(1000), logger: createLogger({ level: 'silent' }) })
    served(counter, 'a', 'old')
    await sync.syncAll()
    expect(log.logs.get('shop:0')).toEqual([{ stepStart: 0, exposed: { old: [hashKey('shop:', 'a')], new: [] }, conversions: [] }])

    // Another replica's chunk arrives in the log: replayed here.
    await log.append('shop', 0, { stepStart: 0, exposed: { old: [], new: [77] }, conversions: [{ goal: 'purchase', side: 'new', keyHash: 77, value: 9 }] })
    served(counter, 'b', 'old') // counted just before the percent changes
    const r1 = await store.update(REF, 0, { percentBp: 6000, state: 'manual', step: -1, filePercentBp: 5000, updatedAt: 500 },
      { at: 500, actor: 'admin', reason: undefined, from: { percentBp: 5000, state: 'manual' }, to: { percentBp: 6000, state: 'manual' } })
    expect(r1.ok).toBe(true)
    counter.configure([route], at(6000))
    served(counter, 'c', 'new')
    await sync.syncAll()
    const chunks = log.logs.get('shop:0')!
    expect(chunks.slice(2)).toEqual([
      { stepStart: 0, exposed: { old: [hashKey('shop:', 'b')], new: [] }, conversions: [] }, // the old step's, still written as the old step's
      { stepStart: 500, exposed: { old: [], new: [hashKey('shop:', 'c')] }, conversions: [] },
    ])
    const g = counter.report('shop', 0.05)!['purchase']!
    expect(g).toMatchObject({ old: { users: 0 }, new: { users: 1, converted: 0 } })
    expect(g.sinceRollout).toMatchObject({ old: { users: 2 }, new: { users: 2, converted: 1, value: 9 } })
  })

  it('keeps what it could not write while the store is unreachable, and writes it on the next pass', async () => {
    const store = new MemoryStateStore()
    const log = new ArrayLog()
    let down = false
    const flaky: GoalLog = {
      append: async (r, at, c) => { if (down) throw new Error('store down'); await log.append(r, at, c) },
      read: (r, at, from) => log.read(r, at, from),
    }
    const counter = new GoalCounter()
    counter.shareWithFleet()
    counter.configure([route], buildViews([route], [], store.snapshot()).routes)
    const sync = new GoalSync({ counter, log: flaky, store, clock: new ManualClock(1000), logger: createLogger({ level: 'silent' }) })
    await sync.syncAll()
    down = true
    served(counter, 'a', 'old')
    await sync.syncAll()
    expect(log.logs.get('shop:0')).toBeUndefined()
    down = false
    served(counter, 'b', 'old')
    await sync.syncAll()
    expect(log.logs.get('shop:0')!.flatMap((c) => c.exposed.old)).toEqual([hashKey('shop:', 'a'), hashKey('shop:', 'b')])
    expect(counter.report('shop', 0.05)!['purchase']!.old.users).toBe(2)
  })
})
