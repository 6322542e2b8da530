import { Pool } from 'undici'
import { hostPort } from '../../app/log.js'
import { SluiceApp } from '../../app/index.js'
import { formatProblem, loadConfigText } from '../../config/index.js'
import { historyJson } from '../../control/status.js'
import { parseDuration } from '../../util/duration.js'
import { createLogger } from '../../observe/log.js'
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { table, type Io } from '../io.js'
import { statusTable, type TargetJson } from './status.js'
import { replicasDemo } from './demo-replicas.js'
import { checkoutDemo } from './demo-checkout.js'
import { sampleBackend, untilStopped, type SampleBackend } from './demo-parts.js'
import { sleep } from '../../util/sleep.js'

const REPORT_EVERY_MS = 2000
const CONCURRENCY = 4
const USERS = 5000
/** The new backend starts failing once the ramp reaches this percent (basis points). */
const FAIL_FROM_BP = 2500
const FAIL_RATE = 0.3
const REF = { kind: 'route', name: 'demo' } as const

const DEMO_CONFIG = (oldUrl: string, newUrl: string) => `
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
shutdown: { drainDelay: 0s, timeout: 5s }
log: { level: error }
routes:
  - name: demo
    old: ${oldUrl}
    new: ${newUrl}
    sticky: [header:x-user-id]
    exposeBackendHeader: true
    rollout:
      steps: [5, 10, 25, 50, 100]
      interval: 4s
      analysis: { window: 2s, minRequests: 10, maxErrorRate: 0.05, maxErrorRateVsOld: 2, failureLimit: 2 }
`


/** `sluice demo`: two sample backends, sluice in front, synthetic traffic, a ramp, a failure and the rollback. */
export const demoCommand: Command = async (args, opts, io) => {
  if (opts.replicas !== undefined) return replicasDemo(args, opts, io)
  if (args[0] === 'checkout') return checkoutDemo(opts, io)
  if (args[0] !== undefined) { io.err(`sluice demo: unknown scenario '${args[0]}' (try: sluice demo checkout)`); return EXIT.refused }
  const durationMs = opts.duration ? parseDuration(opts.duration) : undefined
  const [oldB, newB] = await Promise.all([sampleBackend('old'), sampleBackend('new')])
  const loaded = await loadConfigText(DEMO_CONFIG(oldB.url, newB.url), '<demo>')
  if (!loaded.ok) { for (const p of loaded.problems) io.err(formatProblem(p)); return EXIT.refused }
  const app = new SluiceApp({ config: loaded.config, configHash: loaded.hash, logger: createLogger({ level: 'error' }), tickMs: 250 })
  const { data, admin } = await app.start()
  io.out(`sluice demo: old backend ${oldB.url}, new backend ${newB.url}`)
  io.out(`data plane  http://${hostPort(data)}   (try: curl -i -H 'x-user-id: alice' http://${hostPort(data)}/)`)
  io.out(`dashboard   http://${hostPort(admin)}/   (metrics /metrics, API /api/routes)`)
  io.out(`rollout: 5 → 10 → 25 → 50 → 100 %, a step every 4 s when the 2 s analysis window passes;`)
  io.out(`the new backend starts failing ${FAIL_RATE * 100} % of requests at ${FAIL_FROM_BP / 100} %. Ctrl-C stops.\n`)
  const traffic = new Traffic(`http://${hostPort(data)}`)
  const story = new Story(app, newB, io)
  const report = setInterval(() => { io.out(shareLine(app, traffic)); story.check() }, REPORT_EVERY_MS)
  const watch = setInterval(() => story.check(), 200)
  await untilStopped(durationMs)
  clearInterval(report)
  clearInterval(watch)
  await traffic.stop()
  await story.printTimeline()
  await app.shutdown('demo stopped')
  await Promise.all([oldB, newB].map((b) => new Promise((resolve) => b.server.close(resolve))))
  io.out('demo stopped')
  return EXIT.ok
}


/**
 * Prints each change of percent or state as it happens, breaks the new backend at the right moment,
 * explains the rollback.
 */
class Story {
  #last = ''
  #broken = false

  constructor(private readonly app: SluiceApp, private readonly newBackend: SampleBackend, private readonly io: Io) {}

  check(): void {
    const live = this.app.store.get(REF)
    if (!live) return
    const now = `${live.percentBp}/${live.state}`
    if (now === this.#last) return
    this.#last = now
    void this.app.store.history(REF, 1).then(([e]) => {
      this.io.out(`-- ${live.percentBp / 100}% ${live.state}${e ? ` (${e.actor}: ${e.reason ?? ''})` : ''}`)
      if (live.state === 'rolled_back' && e?.figures) this.#explain(e.figures as Figures)
    })
    if (!this.#broken && live.percentBp >= FAIL_FROM_BP) {
      this.#broken = true
      this.newBackend.failRate = FAIL_RATE
      this.io.out(`-- the new backend starts failing ${FAIL_RATE * 100} % of requests`)
    }
  }

  async printTimeline(): Promise<void> {
    const { events } = historyJson(await this.app.store.history(REF, 50))
    this.io.out('\ntimeline (sluice history demo):')
    this.io.out(table(['AT', 'ACTOR', 'FROM', 'TO', 'REASON'], events.map((e) => [
      e.at.slice(11, 19), e.actor, `${e.from.percent}% ${e.from.state}`, `${e.to.percent}% ${e.to.state}`, e.reason ?? '',
    ])))
    const status = (await (await fetch(`http://${hostPort(this.app.addresses.admin)}/api/routes`)).json()) as { routes: TargetJson[] }
    this.io.out(`\nstatus (sluice status):\n${statusTable(status.routes)}`)
  }

  #explain(f: Figures): void {
    const side = (s: SideFigures) => `${s.requests} requests, ${(s.errorRate * 100).toFixed(1)} % errors`
    this.io.out(`-- rolled back because ${f.failed.join(' and ')} failed: new ${side(f.new)}; old ${side(f.old)}`)
  }
}

interface SideFigures { requests: number; errorRate: number }
interface Figures { failed: string[]; old: SideFigures; new: SideFigures }

/** Synthetic users: CONCURRENCY loops sending requests with random user ids, counting sides. */
class Traffic {
  readonly counts = { old: 0, new: 0, error: 0 }
  #pool: Pool
  #running = true
  #loops: Promise<void>[] = []

  constructor(origin: string) {
    this.#pool = new Pool(origin, { connections: CONCURRENCY })
    for (let i = 0; i < CONCURRENCY; i++) this.#loops.push(this.#loop())
  }

  take(): { old: number; new: number; error: number } {
    const c = { ...this.counts }
    this.counts.old = 0
    this.counts.new = 0
    this.counts.error = 0
    return c
  }

  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
    await this.#pool.close()
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      try {
        const user = `user-${Math.floor(Math.random() * USERS)}`
        const res = await this.#pool.request({ path: '/', method: 'GET', headers: { 'x-user-id': user } })
        await res.body.dump()
        const side = res.headers['x-sluice-backend']
        if (res.statusCode >= 500) this.counts.error++
        else if (side === 'new' || side === 'old') this.counts[side]++
      } catch {
        this.counts.error++
      }
      await sleep(2)
    }
  }
}


function shareLine(app: SluiceApp, traffic: Traffic): string {
  const c = traffic.take()
  const total = c.old + c.new + c.error
  const pct = (n: number) => (total === 0 ? '  -  ' : `${((100 * n) / total).toFixed(1).padStart(5)}%`)
  const live = app.store.get(REF)
  return `   percent ${String((live?.percentBp ?? 0) / 100).padStart(3)}%  observed: new ${pct(c.new)}  old ${pct(c.old)}  errors ${pct(c.error)}  (${total} requests)`
}
