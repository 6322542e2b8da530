import { describe, expect, it } from 'vitest'
import { liveGauges, recordLiveState, recordLiveStateSliced } from '../../src/observe/live-gauges.js'
import { createRecorder, type Recorder } from '../../src/observe/metrics/recorder.js'
import type { LiveSnapshot, TargetLive } from '../../src/state/store.js'
import { parseMetrics, queueConfig, routeConfig, valueOf } from '../helpers/admin.js'

const live = (percentBp: number, state: TargetLive['state']): TargetLive =>
  ({ percentBp, state, step: 0, filePercentBp: 1000, updatedAt: 1, version: 3 })
const snapshot = (targets: Record<string, TargetLive>): LiveSnapshot =>
  ({ targets: new Map(Object.entries(targets)), members: new Map() })

describe('gauges derived from the live state', () => {
  const targets = { routes: [routeConfig('checkout', { percentBp: 1000 }), routeConfig('search', { percentBp: 500 })], queues: [queueConfig('emails', { percentBp: 200 })] }

  it('takes percent and state from the live state; a target without one shows its file percent in manual', () => {
    const gauges = liveGauges(targets, snapshot({ 'route/checkout': live(3300, 'paused'), 'queue/emails': live(0, 'rolled_back'), 'route/gone': live(100, 'manual') }))
    expect(gauges).toEqual([
      { ref: { kind: 'route', name: 'checkout' }, percentBp: 3300, state: 'paused' },
      { ref: { kind: 'route', name: 'search' }, percentBp: 500, state: 'manual' },
      { ref: { kind: 'queue', name: 'emails' }, percentBp: 0, state: 'rolled_back' },
    ])
  })

  it('sets sluice_percent and sluice_rollout_state to whatever the latest snapshot says, and never resurrects a removed target', async () => {
    const recorder = createRecorder()
    recorder.setTargets(targets.routes, targets.queues)
    recordLiveState(recorder, targets, snapshot({ 'route/checkout': live(3300, 'paused') }))
    let s = parseMetrics(await recorder.render())
    expect(valueOf(s, 'sluice_percent', { kind: 'route', name: 'checkout' })).toBe(33)
    expect(valueOf(s, 'sluice_rollout_state', { kind: 'route', name: 'checkout', state: 'paused' })).toBe(1)
    expect(valueOf(s, 'sluice_rollout_state', { kind: 'route', name: 'checkout', state: 'manual' })).toBe(0)
    expect(valueOf(s, 'sluice_percent', { kind: 'queue', name: 'emails' })).toBe(2)

    // Another replica rolled checkout back; search was removed from the config meanwhile.
    const after = { routes: [targets.routes[0]!], queues: targets.queues }
    recorder.setTargets(after.routes, after.queues)
    recordLiveState(recorder, after, snapshot({ 'route/checkout': live(0, 'rolled_back'), 'route/search': live(9000, 'manual') }))
    s = parseMetrics(await recorder.render())
    expect(valueOf(s, 'sluice_percent', { kind: 'route', name: 'checkout' })).toBe(0)
    expect(valueOf(s, 'sluice_rollout_state', { kind: 'route', name: 'checkout', state: 'rolled_back' })).toBe(1)
    expect(valueOf(s, 'sluice_rollout_state', { kind: 'route', name: 'checkout', state: 'paused' })).toBe(0)
    expect(s.filter((x) => x.labels['name'] === 'search')).toEqual([])
  })
})

describe('gauges set in time slices after a reload', () => {
  const many = { routes: Array.from({ length: 2_000 }, (_, i) => routeConfig(`r${i}`, { percentBp: 100 })), queues: [] }
  /** Records each percent set; `costMs` makes every call that slow, so that the whole must be sliced. */
  const recorderOf = (costMs: number) => {
    const percents: number[] = []
    const recorder = {
      percent: (_ref: unknown, bp: number) => {
        percents.push(bp)
        const until = performance.now() + costMs
        while (performance.now() < until);
      },
      rolloutState: () => undefined,
    } as unknown as Recorder
    return { recorder, percents }
  }

  it('yields before its first slice: a turn scheduled before the call runs before any gauge is set', async () => {
    const { recorder, percents } = recorderOf(0)
    let setBeforeTurn = -1
    setImmediate(() => { setBeforeTurn = percents.length })
    await recordLiveStateSliced(recorder, many, () => snapshot({}))
    expect(setBeforeTurn).toBe(0)
    expect(percents).toHaveLength(2_000)
  })

  it('each slice reads the snapshot of its moment: a change between slices is what the later gauges show', async () => {
    const { recorder, percents } = recorderOf(0.05) // 100 ms in all
    let current = snapshot({})
    let reads = 0
    const done = recordLiveStateSliced(recorder, many, () => { reads++; return current })
    // After the first slice: every later route is at 42 % live.
    const changed = new Promise<number>((resolve) => {
      const wait = () => {
        if (percents.length === 0) return setImmediate(wait)
        current = snapshot(Object.fromEntries(many.routes.map((r) => [`route/${r.name}`, live(4200, 'manual')])))
        resolve(percents.length)
      }
      setImmediate(wait)
    })
    await done
    const at = await changed
    expect(at).toBeGreaterThan(0)
    expect(at).toBeLessThan(2_000)
    expect(reads).toBeGreaterThan(1)
    expect(percents.slice(0, at).every((p) => p === 100)).toBe(true)
    expect(percents.slice(at).every((p) => p === 4200)).toBe(true)
  })
})
