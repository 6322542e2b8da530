import { describe, expect, it } from 'vitest'
import { liveGauges, recordLiveState } from '../../src/observe/live-gauges.js'
import { createRecorder } from '../../src/observe/metrics/recorder.js'
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
