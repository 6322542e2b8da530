import { afterEach, describe, expect, it } from 'vitest'
import { Pool } from 'undici'
import { runCli, SluiceProcess, stopSluiceAndBackends, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { waitFor } from '../helpers/wait-for.js'

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

interface RouteStatus {
  step: number
  state: string
  nextStepAt: string | null
  lastVerdict: { at: string; kind: string } | null
  [k: string]: unknown
}

async function status(admin: string): Promise<RouteStatus> {
  const r = await runCli(['status', '-o', 'json', '--admin', admin])
  return (JSON.parse(r.stdout) as { routes: RouteStatus[] }).routes[0]!
}

describe('rollout guards with real backends', () => {
  let sluice: SluiceProcess | undefined
  let backends: SideBackend[] = []
  afterEach(() => stopSluiceAndBackends(sluice, backends))

  const start = async (rollout: string, newDelayMs = 0) => {
    backends = [await startSideBackend('old'), await startSideBackend('new', { delayMs: newDelayMs })]
    sluice = await new SluiceProcess(testConfig(`  - name: app
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    sticky: [header:x-user-id]
    rollout:
${rollout}`)).start()
    return sluice
  }

  it('a new side whose p99 is above maxP99Ms is rolled back', async () => {
    const s = await start(`      steps: [50, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 10, maxP99Ms: 100, failureLimit: 2 }
`, 300)
    const pool = new Pool(s.data, { connections: 16 })
    let n = 0
    let running = true
    const loop = async () => {
      while (running) await (await pool.request({ path: '/', method: 'GET', headers: { 'x-user-id': `u${n++}` } })).body.dump()
    }
    const loops = Array.from({ length: 16 }, loop)
    const wait = await runCli(['wait', 'app', '--admin', s.admin, '--timeout', '20s'], {}, 30_000)
    running = false
    await Promise.all(loops)
    await pool.close()
    expect(wait.code).toBe(1)
    const h = JSON.parse((await runCli(['history', 'app', '-o', 'json', '--admin', s.admin])).stdout) as { events: Array<{ actor: string; figures: { failed: string[] } }> }
    expect(h.events.at(-1)).toMatchObject({ actor: 'analysis', figures: { failed: ['maxP99Ms'] } })
  }, 45_000)

  it('without traffic the first step is taken and then nothing advances (the verdict is inconclusive)', async () => {
    const s = await start(`      steps: [10, 100]
      interval: 1s
      analysis: { window: 1s, minRequests: 20 }
`)
    // Wait for the first step, then for a verdict judged after the next step was due: had that
    // verdict passed, the step would have advanced; it holds because the evidence is inconclusive.
    const first = await waitFor(async () => { const t = await status(s.admin); return t.step === 0 && t.nextStepAt !== null && t }, { message: 'the first step' })
    const due = Date.parse(first.nextStepAt!)
    const later = await waitFor(async () => {
      const t = await status(s.admin)
      return t.lastVerdict !== null && Date.parse(t.lastVerdict.at) > due && t
    }, { timeoutMs: 15_000, message: 'a verdict after the next step was due' })
    expect(later).toMatchObject({ percent: 10, step: 0, state: 'progressing', lastVerdict: { pass: false, kind: 'inconclusive', missing: '0 of 20 new-side requests at this step' }, analysis: { verdict: 'inconclusive', step: { new: { requests: 0 } } } })
  }, 45_000)

  it('outside the schedule windows the rollout is waiting and nothing is raised', async () => {
    const closedDay = DAYS[(new Date().getUTCDay() + 3) % 7]
    const s = await start(`      steps: [10, 100]
      interval: 1s
      schedule: { timezone: UTC, windows: [{ days: [${closedDay}], from: "09:00", to: "17:00" }], outside: hold }
`)
    // 'waiting' is written by the controller's tick that found the window closed: from then on
    // the percent must stay where it is.
    const t = await waitFor(async () => { const r = await status(s.admin); return r.state === 'waiting' && r }, { message: 'the controller to hold the rollout' })
    expect(t).toMatchObject({ state: 'waiting', percent: 0, windowOpen: false })
    expect(String(t.nextStepAt)).toMatch(/T09:00:00\.000Z$/)
  })
})
