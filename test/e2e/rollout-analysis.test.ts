import { afterEach, describe, expect, it } from 'vitest'
import { runCli, SluiceProcess, stopSluiceAndBackends, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { startTraffic, type Load, type TrafficOptions } from '../helpers/traffic.js'

/**
 * The sequential analysis end to end: real backends, 1 s windows, evidence accumulated across
 * windows (README "Automatic rollouts").
 */

/**
 * `connections` loops of GETs with distinct user ids; `patienceMs` is when a client gives up; `gapMs`
 * paces each loop.
 */
const traffic = (base: string, opts: TrafficOptions = {}): Load => startTraffic(base, { connections: 8, ...opts })

interface HistoryJson {
  events: Array<{
    actor: string; reason: string; to: { state: string; percent: number }; figures?: Record<string, unknown>
  }>
}

describe('sequential rollout analysis end to end', () => {
  let sluice: SluiceProcess | undefined
  let backends: SideBackend[] = []
  let load: Load | undefined
  afterEach(async () => {
    await load?.stop()
    await stopSluiceAndBackends(sluice, backends)
    load = undefined
  })

  /** Starts both backends now (set their fault rates next), and returns how to start sluice. */
  const start = async (rollout: string) => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    return async () => {
      sluice = await new SluiceProcess(testConfig(`  - name: app
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    sticky: [header:x-user-id]
    rollout:
${rollout}`)).start()
      return sluice
    }
  }

  const history = async (s: SluiceProcess) => JSON.parse((await runCli(['history', 'app', '-o', 'json', '--admin', s.admin])).stdout) as HistoryJson

  it('a new side 3× worse than old (1 % vs 3 % errors) at a 10 % share is rolled back and never completes', async () => {
    const boot = await start(`      steps: [10, 50, 100]
      interval: 30s
      analysis: { window: 1s, minRequests: 100, maxErrorRateVsOld: 1.5, failureLimit: 2 }
`)
    backends[0]!.failRate = 0.01
    backends[1]!.failRate = 0.03
    const s = await boot()
    load = traffic(s.data)
    const wait = await runCli(['wait', 'app', '--admin', s.admin, '--timeout', '120s'], {}, 130_000)
    expect(wait.code).toBe(1)
    const events = (await history(s)).events
    expect(events.some((e) => e.to.state === 'completed')).toBe(false)
    expect(events.at(-1)).toMatchObject({ actor: 'analysis', to: { state: 'rolled_back' }, figures: { failed: ['maxErrorRateVsOld'] } })
  }, 150_000)

  it('a new side where 20 % of requests hang past the client\'s patience is rolled back', async () => {
    const boot = await start(`      steps: [50, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 20, maxErrorRate: 0.05, failureLimit: 2 }
`)
    backends[1]!.hangRate = 0.2
    const s = await boot()
    load = traffic(s.data, { connections: 16, patienceMs: 300 })
    const wait = await runCli(['wait', 'app', '--admin', s.admin, '--timeout', '60s'], {}, 70_000)
    expect(wait.code).toBe(1)
    const last = (await history(s)).events.at(-1)
    expect(last).toMatchObject({ actor: 'analysis', to: { state: 'rolled_back' }, figures: { failed: ['maxErrorRate'] } })
  }, 90_000)

  it('a new side failing 50 % at about 2 requests per window is rolled back (no window ever reaches minRequests)', async () => {
    const boot = await start(`      steps: [50, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 100, maxErrorRate: 0.05, failureLimit: 2 }
`)
    backends[1]!.failRate = 0.5
    const s = await boot()
    load = traffic(s.data, { connections: 1, gapMs: 250 })
    const wait = await runCli(['wait', 'app', '--admin', s.admin, '--timeout', '90s'], {}, 100_000)
    expect(wait.code).toBe(1)
    const last = (await history(s)).events.at(-1)
    expect(last).toMatchObject({ actor: 'analysis', to: { state: 'rolled_back' }, figures: { failed: ['maxErrorRate'] } })
    // Far fewer than minRequests were needed: evidence, not a per-window sample size, decides a failure.
    expect((last!.figures!.step as { new: { requests: number } }).new.requests).toBeLessThan(100)
  }, 120_000)

  it('a healthy ramp completes, and status shows the step counts and each check\'s evidence against its bar', async () => {
    const boot = await start(`      steps: [10, 50, 100]
      interval: 2s
      analysis: { window: 1s, minRequests: 20, maxErrorRate: 0.05, maxErrorRateVsOld: 1.5, maxP99Ms: 1000, failureLimit: 2 }
`)
    const s = await boot()
    load = traffic(s.data)
    const wait = await runCli(['wait', 'app', '--admin', s.admin, '--timeout', '60s'], {}, 70_000)
    expect(wait.code).toBe(0)
    const route = (JSON.parse((await runCli(['status', '-o', 'json', '--admin', s.admin])).stdout) as { routes: Array<Record<string, unknown>> }).routes[0]!
    expect(route).toMatchObject({ state: 'completed', percent: 100 })
    // Three checks at alpha 0.05: each check's bar is 3 / 0.05 = 60 (Bonferroni).
    expect(route.analysis).toMatchObject({
      evidence: { maxErrorRate: { bar: 60 }, maxErrorRateVsOld: { bar: 60 }, maxP99Ms: { bar: 60 } },
    })
    const steps = (await history(s)).events.filter((e) => e.actor === 'schedule' && e.to.percent === 50)
    expect(steps[0]?.reason).toMatch(/after \d+ new-side requests with no check over its bar/)
  }, 90_000)
})
