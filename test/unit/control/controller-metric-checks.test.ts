import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy, RolloutPolicy } from '../../../src/config/types.js'
import { Commands, type TransitionNotice } from '../../../src/control/commands.js'
import { RolloutController } from '../../../src/control/controller.js'
import type { OutsideCheck } from '../../../src/core/analysis.js'
import { AnalysisWindows } from '../../../src/observe/analysis-windows.js'
import { MemoryStateStore } from '../../../src/state/memory.js'
import { ManualClock } from '../../../src/util/clock.js'
import { captureLogger, routeConfig } from '../../helpers/admin.js'
import { FakeRecorder } from './fixture.js'

const SEC = 1000
const analysis: AnalysisPolicy = {
  windowMs: 5 * SEC, minRequests: 10, failureLimit: 2, alpha: 0.05,
  maxErrorRate: 0.05, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined,
}
const rollout: RolloutPolicy = { stepsBp: [1000, 10_000], intervalMs: 10 * SEC, schedule: undefined, analysis }

/** The controller with a stand-in for the metric-check runner that returns `outcome` every window. */
function harness() {
  const clock = new ManualClock(Date.UTC(2026, 4, 4, 10, 0, 0))
  const store = new MemoryStateStore()
  const windows = new AnalysisWindows()
  const notices: TransitionNotice[] = []
  const { logger } = captureLogger()
  const targets = { routes: [routeConfig('checkout', { rollout })], queues: [] }
  const commands = new Commands({
    store, clock, logger, recorder: new FakeRecorder(), targets: () => targets, onNotice: (n) => notices.push(n),
  })
  const state = { active: true, calls: 0, outcome: 'pass' as OutsideCheck['outcome'] }
  const metricChecks = {
    judge: async (): Promise<OutsideCheck[]> => {
      state.calls++
      const summary = state.outcome === 'fail' ? 'app-errors 0.041 > max 0.02' : state.outcome === 'pass' ? 'app-errors 0.001 (max 0.02)' : 'app-errors: no data for new'
      return [{ kind: 'metric', name: 'app-errors', outcome: state.outcome, summary, figures: { value: 0.041, max: 0.02 } }]
    },
  }
  const controller = new RolloutController({
    commands, store, windows, clock, logger, targets: () => targets, metricChecks, isActive: () => state.active,
  })
  const ref = { kind: 'route', name: 'checkout' } as const
  const run = async (seconds: number) => {
    for (let t = 0; t < seconds; t++) {
      for (let i = 0; i < 20; i++) windows.record({ ...ref, side: i < 18 ? 'old' : 'new', reason: 'bucket', servedBy: i < 18 ? 'old' : 'new', status: 200, error: undefined, fellBack: false, durationMs: 5 })
      clock.advance(SEC)
      await controller.tickAll()
    }
  }
  return { store, notices, ref, run, state, start: () => commands.applyFileIntent(targets, undefined) }
}

describe('rollout controller with metric checks', () => {
  it('a metric check over its limit rolls back after failureLimit windows, the check in the reason and the figures', async () => {
    const h = harness()
    h.state.outcome = 'fail'
    await h.start()
    await h.run(30)
    expect(h.store.get(h.ref)).toMatchObject({ state: 'rolled_back', percentBp: 0 })
    const notice = h.notices.find((n) => n.transition.notify === 'rolled_back')!
    expect(notice.transition.reason).toMatch(/metric app-errors: app-errors 0\.041 > max 0\.02/)
    expect(notice.transition.verdict?.outside).toEqual([expect.objectContaining({ name: 'app-errors', outcome: 'fail' })])
  })

  it('an inconclusive metric check holds the step however much traffic passes, and never rolls back', async () => {
    const h = harness()
    h.state.outcome = 'inconclusive'
    await h.start()
    await h.run(60)
    expect(h.store.get(h.ref)).toMatchObject({ state: 'progressing', percentBp: 1000 })
    expect(h.store.get(h.ref)?.lastVerdict).toMatchObject({ kind: 'inconclusive', missing: 'app-errors: no data for new' })
    h.state.outcome = 'pass'
    await h.run(10)
    expect(h.store.get(h.ref)).toMatchObject({ state: 'completed', percentBp: 10_000 })
  })

  it('only the active replica (the lease holder) queries', async () => {
    const h = harness()
    await h.start()
    h.state.active = false
    await h.run(20)
    expect(h.state.calls).toBe(0)
    h.state.active = true
    await h.run(12)
    expect(h.state.calls).toBeGreaterThan(0)
  })
})
