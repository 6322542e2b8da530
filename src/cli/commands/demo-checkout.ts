import { Pool } from 'undici'
import { hostPort } from '../../app/log.js'
import { SluiceApp } from '../../app/index.js'
import { formatProblem, loadConfigText } from '../../config/index.js'
import { historyJson } from '../../control/status.js'
import { createLogger } from '../../observe/log.js'
import { parseDuration } from '../../util/duration.js'
import type { CliOptions } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { table, type Io } from '../io.js'
import { sampleBackend, untilStopped } from './demo-parts.js'
import { goalsSection, statusTable, type GoalJson, type TargetJson } from './status.js'

const REPORT_EVERY_MS = 2000
const CONCURRENCY = 6
/** Share of the visitors each side turns into buyers: new sells 25 % less. */
const BUY_RATE = { old: 0.4, new: 0.3 } as const
/** Purchases are reported in batches, as a shop's backend would; every BEACON_EVERY-th one by the "browser". */
const BATCH_EVERY_MS = 250
const BEACON_EVERY = 10
const REF = { kind: 'route', name: 'shop' } as const

const CONFIG = (oldUrl: string, newUrl: string) => `
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
shutdown: { drainDelay: 0s, timeout: 5s }
log: { level: error }
routes:
  - name: shop
    old: ${oldUrl}
    new: ${newUrl}
    sticky: [header:x-user-id]
    exposeBackendHeader: true
    goals:
      - { name: purchase, better: higher, maxLoss: 0.1 }
    rollout:
      steps: [10, 50, 100]
      interval: 6s
      analysis: { window: 1s, minRequests: 10, maxErrorRate: 0.05, failureLimit: 2 }
`

/**
 * `sluice demo checkout`: a shop whose new checkout works (no errors, fast) but sells less. Every
 * visitor is a new user; a fixed share of each side's visitors buy, reported to sluice's admin API
 * (and some by the browser beacon). The rollout's analysis judges the purchase goal with its
 * always-valid interval and rolls back once the loss is, with evidence, over maxLoss (10 %).
 */
export async function checkoutDemo(opts: CliOptions, io: Io): Promise<number> {
  const durationMs = opts.duration ? parseDuration(opts.duration) : undefined
  const [oldB, newB] = await Promise.all([sampleBackend('old'), sampleBackend('new')])
  const loaded = await loadConfigText(CONFIG(oldB.url, newB.url), '<demo>')
  if (!loaded.ok) { for (const p of loaded.problems) io.err(formatProblem(p)); return EXIT.refused }
  const app = new SluiceApp({ config: loaded.config, configHash: loaded.hash, logger: createLogger({ level: 'error' }), tickMs: 250 })
  const { data, admin } = await app.start()
  const adminUrl = `http://${hostPort(admin)}`
  io.out(`sluice demo checkout: old backend ${oldB.url}, new backend ${newB.url}`)
  io.out(`data plane  http://${hostPort(data)}`)
  io.out(`dashboard   ${adminUrl}/   (goals: GET ${adminUrl}/api/routes/shop)`)
  io.out(`rollout: 10 → 50 → 100 %, a step every 6 s; goal purchase (maxLoss 10 %).`)
  io.out(`the new checkout never fails, but ${BUY_RATE.new * 100} % of its visitors buy against ${BUY_RATE.old * 100} % on old. Ctrl-C stops.\n`)
  const shop = new Shop(`http://${hostPort(data)}`, adminUrl)
  let last = ''
  const story = () => {
    const live = app.store.get(REF)
    if (!live || `${live.percentBp}/${live.state}` === last) return
    last = `${live.percentBp}/${live.state}`
    void app.store.history(REF, 1).then(([e]) => {
      io.out(`-- ${live.percentBp / 100}% ${live.state}${e ? ` (${e.actor}: ${e.reason ?? ''})` : ''}`)
      const goal = (e?.figures as { outside?: { kind: string; outcome: string; summary: string }[] } | undefined)?.outside?.find((c) => c.kind === 'goal' && c.outcome === 'fail')
      if (live.state === 'rolled_back' && goal) io.out(`-- rolled back because ${goal.summary}`)
    })
  }
  const report = setInterval(() => { void goalLine(adminUrl).then((l) => io.out(l)); story() }, REPORT_EVERY_MS)
  const watch = setInterval(story, 200)
  await untilStopped(durationMs)
  clearInterval(report)
  clearInterval(watch)
  await shop.stop()
  const { events } = historyJson(await app.store.history(REF, 50))
  io.out('\ntimeline (sluice history shop):')
  io.out(table(['AT', 'ACTOR', 'FROM', 'TO', 'REASON'], events.map((e) => [
    e.at.slice(11, 19), e.actor, `${e.from.percent}% ${e.from.state}`, `${e.to.percent}% ${e.to.state}`, e.reason ?? '',
  ])))
  const status = (await (await fetch(`${adminUrl}/api/routes`)).json()) as { routes: TargetJson[] }
  io.out(`\nstatus (sluice status):\n${statusTable(status.routes)}${goalsSection(status.routes)}`)
  await app.shutdown('demo stopped')
  await Promise.all([oldB, newB].map((b) => new Promise((resolve) => b.server.close(resolve))))
  io.out('demo stopped')
  return EXIT.ok
}

async function goalLine(admin: string): Promise<string> {
  try {
    const route = (await (await fetch(`${admin}/api/routes/shop`)).json()) as TargetJson & { goals?: Record<string, GoalJson & { sinceRollout: GoalJson }> }
    const step = route.goals?.['purchase']
    if (!step) return ''
    // After the rollback the step (0 %) has no new side: show the whole rollout's figures instead.
    const over = route.state === 'rolled_back'
    const g = over ? step.sinceRollout : step
    const side = (s: { users: number; converted: number; rate: number }) => `${(s.rate * 100).toFixed(1).padStart(4)} % of ${String(s.users).padStart(5)} users`
    const lift = g.lift === null ? '-' : `${g.lift >= 0 ? '+' : ''}${(g.lift * 100).toFixed(1)} %`
    return `   percent ${String(route.percent).padStart(3)}%  purchase${over ? ' (whole rollout)' : ''}: old ${side(g.old)}, new ${side(g.new)}  lift ${lift}  ${g.verdict}`
  } catch {
    return ''
  }
}

/** Visitors (a fresh user id each), the side that served each, and the purchases they make. */
class Shop {
  #running = true
  #loops: Promise<void>[] = []
  #pool: Pool
  #next = 0
  #seen = { old: 0, new: 0 }
  #batch: { key: string; value: number }[] = []
  #purchases = 0
  #timer: NodeJS.Timeout

  constructor(private readonly data: string, private readonly admin: string) {
    this.#pool = new Pool(data, { connections: CONCURRENCY })
    for (let i = 0; i < CONCURRENCY; i++) this.#loops.push(this.#loop())
    this.#timer = setInterval(() => { void this.#flush() }, BATCH_EVERY_MS)
  }

  async stop(): Promise<void> {
    this.#running = false
    clearInterval(this.#timer)
    await Promise.all(this.#loops)
    await this.#flush()
    await this.#pool.close()
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      try {
        const user = `shopper-${this.#next++}`
        const res = await this.#pool.request({ path: '/checkout', method: 'GET', headers: { 'x-user-id': user } })
        await res.body.dump()
        const side = res.headers['x-sluice-backend']
        if (side === 'old' || side === 'new') await this.#maybeBuy(user, side)
      } catch {
        // a refused visit: the next one
      }
    }
  }

  /** Exact shares: visitor k of a side buys when floor((k + 1)·rate) steps up. */
  async #maybeBuy(user: string, side: 'old' | 'new'): Promise<void> {
    const k = this.#seen[side]++
    if (Math.floor((k + 1) * BUY_RATE[side]) === Math.floor(k * BUY_RATE[side])) return
    if (++this.#purchases % BEACON_EVERY !== 0) { this.#batch.push({ key: user, value: 59.9 }); return }
    const res = await this.#pool.request({ path: '/_sluice/goal?route=shop&goal=purchase', method: 'POST', headers: { 'x-user-id': user } })
    await res.body.dump()
  }

  async #flush(): Promise<void> {
    if (this.#batch.length === 0) return
    const events = this.#batch.splice(0)
    await fetch(`${this.admin}/api/routes/shop/goals/purchase`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) }).then((r) => r.body?.cancel(), () => undefined)
  }
}
