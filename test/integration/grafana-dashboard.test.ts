import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../src/app/index.js'
import { appConfig, startApp } from '../helpers/app.js'
import { call, parseMetrics } from '../helpers/admin.js'
import { RedisServer } from '../helpers/redis-server.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { NO_PROMETHEUS_REASON, PROMETHEUS, PrometheusServer } from '../helpers/prometheus.js'
import { startTraffic, type Load } from '../helpers/traffic.js'
import { waitFor } from '../helpers/wait-for.js'

/**
 * deploy/grafana/sluice.json against the real thing: its shape is one Grafana imports (a
 * `datasource` variable every query uses), every metric it names is in sluice's /metrics, and every
 * panel's PromQL, evaluated by a real Prometheus (Debian's `prometheus`, on a private port,
 * scraping a live sluice with traffic, a judged rollout window, a queue and a Redis state store),
 * answers with data.
 */
const DASHBOARD = resolve(import.meta.dirname, '../../deploy/grafana/sluice.json')

interface Target { readonly expr: string; readonly datasource?: { readonly uid?: string } }
interface Panel {
  readonly id: number
  readonly type: string
  readonly title: string
  readonly datasource?: { readonly uid?: string }
  readonly targets?: readonly Target[]
  readonly gridPos: Record<string, number>
}
interface Dashboard {
  readonly title: string
  readonly uid: string
  readonly panels: readonly Panel[]
  readonly templating: {
    readonly list: ReadonlyArray<{
      readonly name: string; readonly type: string; readonly query: unknown; readonly definition?: string
    }>
  }
  readonly annotations: {
    readonly list: ReadonlyArray<{
      readonly name: string; readonly expr?: string; readonly datasource?: { readonly uid?: string }
    }>
  }
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard
const panelQueries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })))
const annotationQueries = dashboard.annotations.list.filter((a) => a.expr !== undefined).map((a) => ({ panel: `annotation ${a.name}`, expr: a.expr! }))
const variableQueries = dashboard.templating.list.filter((v) => v.type === 'query').map((v) => v.definition ?? '')

/** What Grafana substitutes before Prometheus sees a query: every route and queue, a short rate window. */
function asPrometheusSees(expr: string): string {
  return expr.replaceAll('$__rate_interval', '15s').replaceAll('$route', '.*').replaceAll('$queue', '.*')
}

/** The metric names a query reads (sluice's all start with `sluice_`). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bsluice_[a-z0-9_]+/g)].map((m) => m[0])
}

describe('Grafana dashboard (deploy/grafana/sluice.json)', () => {
  it('has the shape Grafana imports: a datasource variable that every panel, query and annotation uses', () => {
    expect(dashboard.title).toBe('sluice')
    expect(dashboard.uid).toBe('sluice')
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' })
    const ids = dashboard.panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const p of dashboard.panels) {
      expect(p.gridPos, p.title).toMatchObject({
        x: expect.any(Number), y: expect.any(Number), w: expect.any(Number), h: expect.any(Number),
      })
      if (p.type === 'row') continue
      expect(p.datasource?.uid, p.title).toBe('${datasource}')
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      for (const t of p.targets!) expect(t.datasource?.uid, p.title).toBe('${datasource}')
    }
    expect(annotationQueries.map((a) => a.expr).join()).toContain('sluice_rollbacks_total')
    // What the issue asks the board to show.
    const all = panelQueries.map((q) => q.expr).join('\n')
    for (const name of ['sluice_percent', 'sluice_rollout_state', 'sluice_requests_total', 'sluice_request_duration_seconds_bucket', 'sluice_upstream_errors_total',
      'sluice_queue_backlog', 'sluice_jobs_total', 'sluice_state_store_up', 'sluice_leader', 'sluice_analysis_error_rate', 'sluice_analysis_p99_seconds', 'sluice_analysis_limit']) {
      expect(all).toContain(name)
    }
  })

  describe('against a live sluice and a real Prometheus', () => {
    let oldSide: SideBackend
    let newSide: SideBackend
    let redis: RedisServer
    let app: SluiceApp
    let admin = ''
    let prometheus: PrometheusServer | undefined
    let prom = ''
    let load: Load | undefined

    beforeAll(async () => {
      // CI installs prometheus (.ci/run): missing, this fails rather than skips.
      if (!PROMETHEUS) throw new Error(NO_PROMETHEUS_REASON)
      oldSide = await startSideBackend('old')
      newSide = await startSideBackend('new')
      redis = await new RedisServer().start()
      const started = await startApp(appConfig(`state: { store: redis, redis: ${redis.url}, keyPrefix: grafana-test }
routes:
  - name: checkout
    old: ${oldSide.url}
    new: ${newSide.url}
    sticky: [header:x-user-id]
    goals: [{ name: purchase, better: higher }]
    rollout:
      steps: [20, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 1000000, maxErrorRate: 0.05, maxP99Ms: 250 }
queues:
  - name: emails
    source: { type: redis-list, url: ${redis.url}, key: "grafana-test:in" }
    old: { type: redis-list, url: ${redis.url}, key: "grafana-test:old" }
    new: { type: redis-list, url: ${redis.url}, key: "grafana-test:new" }
    percent: 50
`), { seriesResolutionMs: 500 })
      ;({ app, admin } = started)
      load = startTraffic(started.data, { connections: 2, paths: ['/'], users: 100, gapMs: 10 })
      // A judged window, so the sluice_analysis_* gauges have figures.
      await waitFor(async () => ((await call(admin, 'GET', '/api/routes/checkout')).json as { lastVerdict: unknown }).lastVerdict !== null, { message: 'a judged analysis window' })

      prometheus = await new PrometheusServer([new URL(admin).host]).start()
      prom = prometheus.url
      // rate() over 15 s needs a few scrapes of every series.
      await waitFor(async () => Number((await query('count_over_time(sluice_build_info[15s])'))[0]?.value[1] ?? 0) >= 4, { timeoutMs: 20_000, message: 'four scrapes of sluice' })
    }, 60_000)

    afterAll(async () => {
      await load?.stop()
      await prometheus?.close()
      await app?.shutdown('test')
      await redis?.close()
      await oldSide?.close()
      await newSide?.close()
    })

    async function query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
      const res = await request(`${prom}/api/v1/query?query=${encodeURIComponent(expr)}`)
      const body = await res.body.json() as {
        status: string
        error?: string
        data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> }
      }
      if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`)
      return body.data!.result
    }

    it('every metric the board reads is in sluice\'s /metrics output', async () => {
      const text = (await call(admin, 'GET', '/metrics')).text
      const exported = new Set([...text.matchAll(/^(sluice_[a-z0-9_]+)[{ ]/gm)].map((m) => m[1]!))
      const wanted = new Set([...panelQueries, ...annotationQueries].flatMap((q) => metricNames(q.expr))
        .concat(variableQueries.flatMap(metricNames)))
      expect(wanted.size).toBeGreaterThan(10)
      expect([...wanted].filter((m) => !exported.has(m))).toEqual([])
    })

    it('exports what the analysis judged and its limits, and the step clock of the rollout', async () => {
      const samples = parseMetrics((await call(admin, 'GET', '/metrics')).text)
      const one = (name: string, labels: Record<string, string>) => samples
        .filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))
      expect(one('sluice_analysis_limit', { kind: 'route', name: 'checkout', check: 'error_rate' })[0]?.value).toBe(0.05)
      expect(one('sluice_analysis_limit', { kind: 'route', name: 'checkout', check: 'p99' })[0]?.value).toBe(0.25)
      for (const backend of ['old', 'new']) {
        expect(one('sluice_analysis_requests', { name: 'checkout', backend })[0]?.value, backend).toBeGreaterThanOrEqual(0)
        expect(one('sluice_analysis_error_rate', { name: 'checkout', backend })).toHaveLength(1)
      }
      expect(one('sluice_rollout_step_interval_seconds', { kind: 'route', name: 'checkout' })[0]?.value).toBe(3600)
      expect(one('sluice_rollout_step_start_timestamp_seconds', { kind: 'route', name: 'checkout' })[0]?.value).toBeGreaterThan(1_700_000_000)
      // The queue has its time series too (GET /api/queues/NAME/series).
      // With Redis the series are the fleet's, summed through the store: the JSON says so.
      const queue = (await call(admin, 'GET', '/api/queues/emails/series?minutes=5')).json as { resolution: string; scope: string; points: unknown[] }
      expect(queue).toMatchObject({ resolution: '0.5s', scope: 'fleet', replica: app.replica, store: 'redis', points: expect.any(Array) })
      const route = await waitFor(async () => {
        const s = (await call(admin, 'GET', '/api/routes/checkout/series?minutes=5')).json as { points: Array<{ old: { rps: number } }> }
        return s.points.some((p) => p.old.rps > 0) && s
      }, { message: 'fleet-summed points with traffic' })
      expect(route.points.length).toBeGreaterThan(0)
      // A target without a rollout has none of these.
      expect(one('sluice_rollout_step_interval_seconds', { name: 'emails' })).toEqual([])
    })

    it('every panel query answers with data, the annotation and variable queries without error', async () => {
      const empty: string[] = []
      for (const q of panelQueries) {
        const result = await query(asPrometheusSees(q.expr))
        if (result.length === 0) empty.push(`${q.panel}: ${q.expr}`)
      }
      expect(empty).toEqual([])
      for (const a of annotationQueries) await query(asPrometheusSees(a.expr))
      const routes = await request(`${prom}/api/v1/label/route/values?match[]=sluice_requests_total`)
      expect(((await routes.body.json()) as { data: string[] }).data).toContain('checkout')
      const queues = await request(`${prom}/api/v1/label/queue/values?match[]=sluice_queue_backlog`)
      expect(((await queues.body.json()) as { data: string[] }).data).toContain('emails')
    })
  })
})
