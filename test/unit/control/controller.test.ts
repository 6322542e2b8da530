import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import type { AnalysisPolicy, RolloutPolicy } from '../../../src/config/types.js'
import { Commands, type TransitionNotice } from '../../../src/control/commands.js'
import { RolloutController } from '../../../src/control/controller.js'
import { WebhookNotifier } from '../../../src/control/notify.js'
import type { Side } from '../../../src/core/types.js'
import { AnalysisWindows } from '../../../src/observe/analysis-windows.js'
import { MemoryStateStore } from '../../../src/state/memory.js'
import { ManualClock } from '../../../src/util/clock.js'
import { captureLogger, routeConfig } from '../../helpers/admin.js'
import { FakeRecorder } from './fixture.js'

const SEC = 1000
const analysis: AnalysisPolicy = {
  windowMs: 10 * SEC, minRequests: 50, failureLimit: 2, alpha: 0.05,
  maxErrorRate: 0.05, maxP99Ms: 500, maxErrorRateVsOld: 2, maxP99VsOld: undefined,
}
const rollout: RolloutPolicy = { stepsBp: [1000, 5000, 10_000], intervalMs: 20 * SEC, schedule: undefined, analysis }

function harness(policy: RolloutPolicy = rollout) {
  const clock = new ManualClock(Date.UTC(2026, 4, 4, 10, 0, 0))
  const store = new MemoryStateStore()
  const windows = new AnalysisWindows()
  const notices: TransitionNotice[] = []
  const { logger, lines } = captureLogger()
  const targets = { routes: [routeConfig('checkout', { rollout: policy })], queues: [] }
  const commands = new Commands({
    store, clock, logger, recorder: new FakeRecorder(), targets: () => targets, onNotice: (n) => notices.push(n),
  })
  const controller = new RolloutController({ commands, store, windows, clock, logger, targets: () => targets })
  const ref = { kind: 'route', name: 'checkout' } as const
  /** `n` requests on a side, `errors` of them 500s, each taking `ms`. */
  const traffic = (side: Side, n: number, errors = 0, ms = 20) => {
    for (let i = 0; i < n; i++) {
      windows.record({ ...ref, side, reason: 'bucket', servedBy: side, status: i < errors ? 500 : 200, error: undefined, fellBack: false, durationMs: ms })
    }
  }
  /** Advance in 1 s ticks, sending traffic each second. */
  const run = async (seconds: number, perSecond: (t: number) => void = () => {}) => {
    for (let t = 0; t < seconds; t++) {
      perSecond(t)
      clock.advance(SEC)
      await controller.tickAll()
    }
  }
  const start = () => commands.applyFileIntent(targets, undefined)
  return { clock, store, windows, commands, controller, notices, ref, traffic, run, logs: lines, start }
}

describe('rollout controller', () => {
  it('a healthy new side ramps step by step, no faster than the interval, to completed', async () => {
    const h = harness()
    await h.start()
    await h.controller.tickAll()
    expect(h.store.get(h.ref)).toMatchObject({ percentBp: 1000, step: 0, state: 'progressing' })
    await h.run(19, () => { h.traffic('old', 90); h.traffic('new', 10) })
    expect(h.store.get(h.ref)?.percentBp).toBe(1000) // interval not over yet
    await h.run(11, () => { h.traffic('old', 90); h.traffic('new', 10) })
    expect(h.store.get(h.ref)).toMatchObject({ percentBp: 5000, step: 1 })
    await h.run(40, () => { h.traffic('old', 50); h.traffic('new', 50) })
    expect(h.store.get(h.ref)).toMatchObject({ percentBp: 10_000, state: 'completed' })
    expect(h.notices.map((n) => n.transition.notify)).toEqual(['step', 'step', 'completed'])
    const info = h.controller.info(h.ref, routeConfig('checkout', { rollout }))
    expect(info.lastVerdict?.kind).toBe('pass')
    expect(info.nextStepAt).toBeNull()
  })

  it('no traffic: the first step is taken, then no advance (inconclusive is not a pass)', async () => {
    const h = harness()
    await h.start()
    await h.run(120)
    expect(h.store.get(h.ref)).toMatchObject({ percentBp: 1000, step: 0, state: 'progressing' })
    expect(h.controller.info(h.ref, routeConfig('checkout', { rollout })).lastVerdict).toMatchObject({ kind: 'inconclusive', missing: '0 of 50 new-side requests at this step' })
    // The hold is in the history once (not every window), with what is missing.
    const holds = (await h.store.history(h.ref, 20)).filter((e) => e.actor === 'analysis')
    expect(holds).toHaveLength(1)
    expect(holds[0]).toMatchObject({ reason: 'holding step 1/3: inconclusive, 0 of 50 new-side requests at this step', from: { percentBp: 1000 }, to: { percentBp: 1000 } })
  })

  it('20 % errors on new rolls back within two windows, with figures in history and the notice', async () => {
    const h = harness()
    await h.start()
    await h.run(25, (t) => { h.traffic('old', 90, t % 10 === 0 ? 1 : 0); h.traffic('new', 10, 2) })
    expect(h.store.get(h.ref)).toMatchObject({ percentBp: 0, state: 'rolled_back' })
    const events = await h.store.history(h.ref, 10)
    const rb = events.at(-1)!
    expect(rb).toMatchObject({ actor: 'analysis', to: { percentBp: 0, state: 'rolled_back' } })
    expect(rb.figures).toMatchObject({ failed: expect.arrayContaining(['maxErrorRate']), new: { requests: 100, errors: 20 } })
    expect(h.notices.at(-1)?.transition.notify).toBe('rolled_back')
    expect(h.logs.some((l) => l.msg === 'rolled back' && l.level === 'warn')).toBe(true)
  })

  it('p99 above the limit on new rolls it back', async () => {
    const h = harness()
    await h.start()
    await h.run(25, () => { h.traffic('old', 90); h.traffic('new', 10, 0, 900) })
    expect(h.store.get(h.ref)?.state).toBe('rolled_back')
    expect((await h.store.history(h.ref, 1))[0]?.figures).toMatchObject({ failed: ['maxP99Ms'] })
  })

  it('a closed schedule window → waiting, and nextStepAt points at the opening', async () => {
    // Weekdays 09:00-17:00 UTC; the clock starts Monday 4 May 2026 10:00, so move it to 18:00.
    const scheduled = { ...rollout, schedule: { timezone: 'UTC', outside: 'hold' as const, windows: [{ days: [1, 2, 3, 4, 5], fromMin: 540, toMin: 1020 }] } }
    const h = harness(scheduled)
    h.clock.set(Date.UTC(2026, 4, 4, 18, 0, 0))
    await h.start()
    await h.run(3)
    expect(h.store.get(h.ref)?.state).toBe('waiting')
    const info = h.controller.info(h.ref, routeConfig('checkout', { rollout: scheduled }))
    expect(info.windowOpen).toBe(false)
    expect(new Date(info.nextStepAt!).toISOString()).toBe('2026-05-05T09:00:00.000Z')
  })
})

describe('webhook notifier', () => {
  let server: Server | undefined
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())))

  it('POSTs the event JSON to a real receiver, retrying after a refusal', async () => {
    const received: Array<Record<string, unknown>> = []
    let calls = 0
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => { body += c.toString() })
      req.on('end', () => {
        calls++
        if (calls === 1) { res.writeHead(503).end(); return }
        received.push(JSON.parse(body) as Record<string, unknown>)
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`
    const notifier = new WebhookNotifier(() => [{ url, format: 'json', events: ['rolled_back'], headers: {} }], captureLogger().logger, new FakeRecorder())
    notifier.notify({
      ref: { kind: 'route', name: 'checkout' }, at: Date.UTC(2026, 4, 4), transition: { actor: 'admin', reason: 'bad', notify: 'rolled_back' },
      from: { percentBp: 500, state: 'progressing', step: 1, filePercentBp: 0 },
      to: { percentBp: 0, state: 'rolled_back', step: -1, filePercentBp: 0, updatedAt: 0, version: 2 },
    })
    await notifier.flush()
    expect(calls).toBe(2)
    expect(received).toEqual([{
      event: 'rolled_back', kind: 'route', name: 'checkout', at: '2026-05-04T00:00:00.000Z',
      from: { percent: 5, state: 'progressing' }, to: { percent: 0, state: 'rolled_back' }, reason: 'bad',
    }])
  })
})
