import { createServer, type Server } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { PrometheusServer } from '../helpers/prometheus.js'
import { runCli, SluiceProcess, testConfig } from '../helpers/sluice-process.js'
import { startTraffic, type Load } from '../helpers/traffic.js'
import { waitFor } from '../helpers/wait-for.js'

/**
 * Metric checks against a real Prometheus (README "Metric checks from Prometheus"): two backends
 * export `app_requests_total` and `app_errors_total` labelled by `version`, a private Prometheus
 * scrapes them every second, and sluice queries it each 1 s analysis window.
 *
 * The backends always answer 200: their "errors" are application-level failures that only their
 * own metrics show (a payment declined, an empty search result), which is what metric checks are
 * for. Each test exports its counters under its own `run` label, so one Prometheus serves the file.
 */

interface AppBackend {
  readonly url: string
  readonly hostPort: string
  /** Share of requests counted as application errors (deterministic: every k-th). */
  errorRate: number
  /** The `run` label of the exported series; counters restart for each run. */
  run: string
  close(): Promise<void>
}

async function startAppBackend(side: 'old' | 'new'): Promise<AppBackend> {
  const counts = new Map<string, { requests: number; errors: number }>()
  const state = { errorRate: 0, run: 'none' }
  const server: Server = createServer((req, res) => {
    req.resume()
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      const lines = ['# TYPE app_requests_total counter', '# TYPE app_errors_total counter']
      for (const [run, c] of counts) {
        lines.push(`app_requests_total{version="${side}",run="${run}"} ${c.requests}`, `app_errors_total{version="${side}",run="${run}"} ${c.errors}`)
      }
      res.end(`${lines.join('\n')}\n`)
      return
    }
    let c = counts.get(state.run)
    if (!c) counts.set(state.run, c = { requests: 0, errors: 0 })
    c.requests++
    if (c.errors < Math.floor(c.requests * state.errorRate)) c.errors++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ backend: side }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    get errorRate() { return state.errorRate },
    set errorRate(v) { state.errorRate = v },
    get run() { return state.run },
    set run(v) { state.run = v },
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }),
  }
}

/** Two loops of GETs with distinct user ids, paced so the 2-core machine stays responsive. */
const traffic = (base: string): Load => startTraffic(base, { connections: 2, gapMs: 10 })

interface HistoryJson {
  events: Array<{
    actor: string
    reason: string | null
    to: { state: string; percent: number }
    figures?: { outside?: Array<Record<string, unknown>> }
  }>
}
interface StatusJson {
  routes: Array<{
    state: string
    percent: number
    lastVerdict: { kind: string; outside?: Array<Record<string, unknown>> } | null
    analysis?: { evidence: Record<string, Record<string, unknown>> }
  }>
}

describe('metric checks from a real Prometheus', () => {
  let old: AppBackend
  let neu: AppBackend
  let prometheus: PrometheusServer
  let sluice: SluiceProcess | undefined
  let load: Load | undefined

  beforeAll(async () => {
    old = await startAppBackend('old')
    neu = await startAppBackend('new')
    prometheus = await new PrometheusServer([old.hostPort, neu.hostPort]).start()
  }, 60_000)

  afterAll(async () => {
    await prometheus?.close()
    await old?.close()
    await neu?.close()
  })

  afterEach(async () => {
    await load?.stop()
    await sluice?.stop()
    load = undefined
    sluice = undefined
  })

  /** Sluice with one route whose analysis has only the metric check `app-errors` (max 0.02) for this run's series. */
  const startSluice = async (run: string, rollout: { steps: string; interval: string }) => {
    old.run = run
    neu.run = run
    const query = `sum(app_errors_total{version="{{side}}",run="${run}"}) / sum(app_requests_total{version="{{side}}",run="${run}"})`
    sluice = await new SluiceProcess(testConfig(`  - name: app
    old: ${old.url}
    new: ${neu.url}
    sticky: [header:x-user-id]
    rollout:
      steps: ${rollout.steps}
      interval: ${rollout.interval}
      analysis:
        window: 1s
        minRequests: 5
        failureLimit: 2
        metrics:
          - name: app-errors
            query: '${query}'
            max: 0.02
`, `prometheus: { url: '${prometheus.url}', timeout: 800ms }`)).start()
    load = traffic(sluice.data)
    return sluice
  }

  const cliJson = async <T>(s: SluiceProcess, args: string[]): Promise<T> => JSON.parse((await runCli([...args, '-o', 'json', '--admin', s.admin])).stdout) as T
  const metricValue = async (s: SluiceProcess, series: string): Promise<number> => {
    const text = await (await request(`${s.admin}/metrics`)).body.text()
    const line = text.split('\n').find((l) => l.startsWith(`${series} `))
    return line === undefined ? Number.NaN : Number(line.slice(series.length + 1))
  }

  it('a new side whose exported error ratio is over max is rolled back, reason metric, the check named in the history', async () => {
    old.errorRate = 0
    neu.errorRate = 0.2
    const s = await startSluice('fail', { steps: '[50, 100]', interval: '1h' })
    const wait = await runCli(['wait', 'app', '--admin', s.admin, '--timeout', '60s'], {}, 70_000)
    expect(wait.code).toBe(1)
    const last = (await cliJson<HistoryJson>(s, ['history', 'app'])).events.at(-1)!
    expect(last).toMatchObject({ actor: 'analysis', to: { state: 'rolled_back', percent: 0 } })
    expect(last.reason).toMatch(/metric app-errors: app-errors 0\.\d+ > max 0\.02/)
    expect(last.figures?.outside).toEqual([expect.objectContaining({ kind: 'metric', name: 'app-errors', outcome: 'fail', figures: expect.objectContaining({ max: 0.02 }) })])
    expect(await metricValue(s, 'sluice_rollbacks_total{kind="route",name="app",reason="metric"}')).toBe(1)
  }, 90_000)

  it('a healthy new side passes the check and the ramp completes, the check in lastVerdict and the history', async () => {
    old.errorRate = 0
    neu.errorRate = 0
    const s = await startSluice('healthy', { steps: '[20, 50, 100]', interval: '1s' })
    const wait = await runCli(['wait', 'app', '--admin', s.admin, '--timeout', '60s'], {}, 70_000)
    expect(wait.code).toBe(0)
    const route = (await cliJson<StatusJson>(s, ['status'])).routes[0]!
    expect(route).toMatchObject({ state: 'completed', percent: 100 })
    expect(route.lastVerdict?.outside).toEqual([expect.objectContaining({ name: 'app-errors', outcome: 'pass' })])
    const completed = (await cliJson<HistoryJson>(s, ['history', 'app'])).events.at(-1)
    expect(completed).toMatchObject({ to: { state: 'completed' } })
    expect(completed?.figures?.outside).toEqual([expect.objectContaining({ name: 'app-errors', outcome: 'pass', figures: expect.objectContaining({ value: 0, old: 0, max: 0.02 }) })])
    expect(await metricValue(s, 'sluice_rollbacks_total{kind="route",name="app",reason="metric"}')).toBe(0)
  }, 90_000)

  it('with Prometheus down the check is inconclusive: the step holds, nothing is rolled back, one log line; back up, the ramp completes', async () => {
    old.errorRate = 0
    neu.errorRate = 0
    await prometheus.stop()
    const s = await startSluice('outage', { steps: '[50, 100]', interval: '1s' })
    const errors = 'sluice_metric_check_errors_total{route="app",check="app-errors"}'
    await waitFor(async () => (await metricValue(s, errors)) >= 4, { timeoutMs: 30_000, message: 'four windows without a value' })
    const held = await cliJson<StatusJson>(s, ['status'])
    expect(held.routes[0]).toMatchObject({ state: 'progressing', percent: 50, lastVerdict: { kind: 'inconclusive' } })
    expect(held.routes[0]!.analysis?.evidence['metric:app-errors']).toMatchObject({ outcome: 'inconclusive', summary: expect.stringMatching(/Prometheus unreachable/) })
    const events = (await cliJson<HistoryJson>(s, ['history', 'app'])).events
    expect(events.some((e) => e.to.state === 'rolled_back')).toBe(false)
    expect(events.at(-1)?.reason).toMatch(/holding step 1\/2: inconclusive, .*app-errors: Prometheus unreachable/)
    const noValue = (l: { msg: string }) => l.msg.startsWith('metric check has no value')
    expect(s.logs.filter(noValue)).toHaveLength(1)

    await prometheus.restart()
    const wait = await runCli(['wait', 'app', '--admin', s.admin, '--timeout', '60s'], {}, 70_000)
    expect(wait.code).toBe(0)
    expect(s.logs.filter(noValue)).toHaveLength(1)
    expect(s.logs.filter((l) => l.msg === 'metric check has a value again')).toHaveLength(1)
  }, 120_000)
})
