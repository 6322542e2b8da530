import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy, RolloutPolicy } from '../../../src/config/types.js'
import { RolloutController } from '../../../src/control/controller.js'
import { observe, type SideWindow, type Verdict, type WindowObservation } from '../../../src/core/analysis.js'
import { foldWindow } from '../../../src/core/rollout.js'
import { AnalysisWindows } from '../../../src/observe/analysis-windows.js'
import { captureLogger, routeConfig } from '../../helpers/admin.js'
import { commandsFixture } from './fixture.js'

const analysis: AnalysisPolicy = {
  windowMs: 10_000, minRequests: 50, failureLimit: 2, alpha: 0.05,
  maxErrorRate: 0.05, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined,
}
const rollout: RolloutPolicy = { stepsBp: [1000, 5000, 10_000], intervalMs: 3_600_000, schedule: undefined, analysis }
const ref = { kind: 'route', name: 'checkout' } as const
const side = (requests: number, errors: number): SideWindow =>
  ({ requests, errors, timed: requests, p99Ms: 20, slowerThan: () => 0 })
/** A closed window: old healthy, new with `newErrors` of 100 failing. */
const windowOf = (newErrors: number): WindowObservation => observe(analysis, side(900, 1), side(100, newErrors))

type Fixture = ReturnType<typeof commandsFixture>

/** What the controller does each window: fold it into the live evidence for the verdict, then tick with both. */
async function tickWith(f: Fixture, window: WindowObservation): Promise<Verdict> {
  const { verdict } = foldWindow(rollout, analysis, f.store.get(ref)!, window)
  await f.commands.tick(ref, true, window, verdict)
  return verdict
}

/** A rollout at its first step (10 %), interval not yet over. */
async function started() {
  const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 0, rollout })], queues: [] })
  await f.commands.applyFileIntent(f.state.targets, undefined)
  await f.commands.tick(ref, true, undefined, undefined)
  expect(f.store.get(ref)).toMatchObject({ percentBp: 1000, state: 'progressing', step: 0 })
  return f
}

describe('the last verdict is live state', () => {
  it('a tick with a verdict writes it, stamped, even when nothing else changes; without one nothing is written', async () => {
    const f = await started()
    const before = f.store.get(ref)!
    f.clock.advance(10_000)

    const pass = await tickWith(f, windowOf(0))
    expect(pass.kind).toBe('pass')
    expect(f.store.get(ref)).toMatchObject({ percentBp: 1000, state: 'progressing', version: before.version + 1, lastVerdict: { ...pass, at: f.clock.now() } })

    await f.commands.tick(ref, true, undefined, undefined)
    expect(f.store.get(ref)?.version).toBe(before.version + 1)
    expect(await f.store.history(ref, 10)).toHaveLength(1) // the first step only: a verdict is no history event
  })

  it('fields the analysis adds to a verdict are stored unchanged', async () => {
    const f = await started()
    const { verdict } = foldWindow(rollout, analysis, f.store.get(ref)!, windowOf(0))
    const withEvidence = { ...verdict, evidence: { maxErrorRate: { m: 3.1, bar: 20 } } }
    await f.commands.tick(ref, true, windowOf(0), withEvidence)
    expect(f.store.get(ref)?.lastVerdict).toEqual({ ...withEvidence, at: f.clock.now() })
  })

  it('a manual change, a pause and a reload that changes the file percent keep the last verdict', async () => {
    const f = await started()
    await tickWith(f, windowOf(0))
    const lastVerdict = f.store.get(ref)!.lastVerdict
    f.clock.advance(1000)

    await f.commands.run(ref, 'pause', { actor: 'admin' })
    expect(f.store.get(ref)).toMatchObject({ state: 'paused', lastVerdict })
    await f.commands.setPercent(ref, 3300, { actor: 'admin' })
    expect(f.store.get(ref)).toMatchObject({ percentBp: 3300, state: 'manual', lastVerdict })
    const prev = f.state.targets
    f.state.targets = { routes: [routeConfig('checkout', { percentBp: 2000, rollout })], queues: [] }
    await f.commands.applyFileIntent(f.state.targets, prev)
    expect(f.store.get(ref)).toMatchObject({ percentBp: 2000, lastVerdict })
  })

  it('the verdict that rolls back is written in the same update as the rollback, and matches the history figures', async () => {
    const f = await started()
    // 60 of 100 new-side requests fail against a 5 % limit: evidence over its bar in each window.
    await tickWith(f, windowOf(60))
    const first = f.store.get(ref)!
    expect(first).toMatchObject({ state: 'progressing', failures: 1, lastVerdict: { kind: 'fail' } })
    f.clock.advance(10_000)

    const fail = await tickWith(f, windowOf(60))
    const after = f.store.get(ref)!
    expect(after).toMatchObject({ percentBp: 0, state: 'rolled_back', version: first.version + 1, lastVerdict: { ...fail, at: f.clock.now() } })
    const rb = (await f.store.history(ref, 1))[0]!
    expect(rb.figures).toMatchObject({ verdict: 'fail', failed: after.lastVerdict!.failed, new: after.lastVerdict!.new })
  })

  it('a replica that is not the leader reports the leader\'s verdict (it reads the store, not its own memory)', async () => {
    const f = commandsFixture({ routes: [routeConfig('checkout', { percentBp: 0, rollout })], queues: [] })
    await f.commands.applyFileIntent(f.state.targets, undefined)
    const { logger } = captureLogger()
    const windows = new AnalysisWindows()
    const deps = { commands: f.commands, store: f.store, clock: f.clock, logger, targets: () => f.state.targets }
    const leader = new RolloutController({ ...deps, windows, isActive: () => true })
    const follower = new RolloutController({ ...deps, windows: new AnalysisWindows(), isActive: () => false })
    const cfg = f.state.targets.routes[0]!
    for (let t = 0; t < 12; t++) {
      for (let i = 0; i < 100; i++) windows.record({ ...ref, side: i < 90 ? 'old' : 'new', servedBy: i < 90 ? 'old' : 'new', reason: 'bucket', status: 200, error: undefined, fellBack: false, durationMs: 5 })
      f.clock.advance(1000)
      await leader.tickAll()
      await follower.tickAll()
    }
    const seen = leader.info(ref, cfg).lastVerdict
    expect(seen).toMatchObject({ kind: 'pass', new: { requests: expect.any(Number) } })
    expect(follower.info(ref, cfg).lastVerdict).toEqual(seen)
    expect(f.store.get(ref)?.lastVerdict).toEqual(seen)
  })
})
