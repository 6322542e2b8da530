import { createServer, type IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy, MetricCheckConfig } from '../../../src/config/types.js'
import { MetricCheckRunner } from '../../../src/control/metric-checks.js'
import { instantQuery, parseQueryResponse, type InstantQuery } from '../../../src/control/prometheus.js'
import type { QueryAnswer } from '../../../src/core/metric-checks.js'
import { captureLogger } from '../../helpers/admin.js'

const check = (over: Partial<MetricCheckConfig> = {}): MetricCheckConfig => ({
  name: 'app-errors', query: 'errors{version="{{side}}",route="{{route}}"}',
  max: 0.02, min: undefined, maxVsOld: undefined, minVsOld: undefined,
  prometheus: { url: 'http://prom.test:9090', timeoutMs: 5000 }, ...over,
})
const policy = (metrics: MetricCheckConfig[]): AnalysisPolicy => ({
  windowMs: 1000, minRequests: 0, failureLimit: 1, alpha: 0.05,
  maxErrorRate: undefined, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined, metrics,
})
const ref = { kind: 'route' as const, name: 'checkout' }

/** A Prometheus stand-in: answers per side from `answers`, remembering every query and timeout. */
function fakePrometheus(answers: { old: QueryAnswer; new: QueryAnswer }) {
  const asked: Array<{ query: string; timeoutMs: number }> = []
  const query: InstantQuery = async (_server, q, timeoutMs) => {
    asked.push({ query: q, timeoutMs })
    return q.includes('"new"') ? answers.new : answers.old
  }
  return { query, asked, answers }
}

function runner(answers: { old: QueryAnswer; new: QueryAnswer }) {
  const prom = fakePrometheus(answers)
  const { logger, lines } = captureLogger()
  const errors: string[] = []
  const r = new MetricCheckRunner({ logger, recorder: { metricCheckError: (t, c) => errors.push(`${t}/${c}`) }, query: prom.query })
  return { r, prom, lines, errors }
}

const value = (v: number): QueryAnswer => ({ ok: true, values: [v] })

describe('MetricCheckRunner', () => {
  it("renders each side's query, caps the timeout at the window and judges new against the limits", async () => {
    const { r, prom, errors } = runner({ old: value(0.004), new: value(0.041) })
    const [result] = await r.judge(ref, policy([check()]))
    expect(result).toMatchObject({ kind: 'metric', name: 'app-errors', outcome: 'fail', summary: 'app-errors 0.041 > max 0.02' })
    expect(prom.asked.map((a) => a.query).sort()).toEqual(['errors{version="new",route="checkout"}', 'errors{version="old",route="checkout"}'])
    expect(prom.asked.every((a) => a.timeoutMs === 1000)).toBe(true)
    expect(errors).toEqual([])
  })

  it('asks once when the query has no {{side}}', async () => {
    const { r, prom } = runner({ old: value(1), new: value(1) })
    await r.judge(ref, policy([check({ query: 'sum(up)' })]))
    expect(prom.asked).toHaveLength(1)
  })

  it('no configured checks: asks nothing', async () => {
    const { r, prom } = runner({ old: value(1), new: value(1) })
    expect(await r.judge(ref, policy([]))).toEqual([])
    expect(prom.asked).toHaveLength(0)
  })

  it('counts every window without a value, and logs only when that starts and when it ends', async () => {
    const { r, prom, lines, errors } = runner({ old: value(0.001), new: value(0.001) })
    const p = policy([check()])
    expect((await r.judge(ref, p))[0]?.outcome).toBe('pass')
    prom.answers.new = { ok: false, error: 'Prometheus unreachable (ECONNREFUSED)' }
    prom.answers.old = prom.answers.new
    for (let i = 0; i < 5; i++) expect((await r.judge(ref, p))[0]).toMatchObject({ outcome: 'inconclusive', summary: 'app-errors: Prometheus unreachable (ECONNREFUSED) for new' })
    expect(errors).toEqual(Array(5).fill('checkout/app-errors'))
    prom.answers.new = value(0.001)
    prom.answers.old = value(0.001)
    expect((await r.judge(ref, p))[0]?.outcome).toBe('pass')
    expect((await r.judge(ref, p))[0]?.outcome).toBe('pass')
    const logged = lines.filter((l) => l.check === 'app-errors')
    expect(logged.map((l) => l.msg)).toEqual([
      'metric check has no value: the step holds until it has one (inconclusive, never a failure)',
      'metric check has a value again',
    ])
    expect(logged[0]).toMatchObject({ level: 'warn', name: 'checkout', prometheus: 'http://prom.test:9090', reason: 'app-errors: Prometheus unreachable (ECONNREFUSED) for new' })
  })
})

describe('parseQueryResponse (Prometheus HTTP API answers)', () => {
  it('reads a vector: one value per series, sample values as strings', () => {
    const body = { status: 'success', data: { resultType: 'vector', result: [{ metric: { version: 'new' }, value: [1435781451.781, '0.041'] }] } }
    expect(parseQueryResponse(200, JSON.stringify(body))).toEqual({ ok: true, values: [0.041] })
    expect(parseQueryResponse(200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }))).toEqual({ ok: true, values: [] })
  })

  it('reads a scalar and the special values NaN, +Inf, -Inf', () => {
    expect(parseQueryResponse(200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '2.5'] } }))).toEqual({ ok: true, values: [2.5] })
    const vec = (vals: string[]) => JSON.stringify({ status: 'success', data: { resultType: 'vector', result: vals.map((v) => ({ metric: {}, value: [1, v] })) } })
    const parsed = parseQueryResponse(200, vec(['NaN', '+Inf', '-Inf']))
    expect(parsed).toEqual({ ok: true, values: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] })
  })

  it("turns Prometheus' errors, range vectors and non-JSON into reasons", () => {
    const err = { status: 'error', errorType: 'bad_data', error: 'invalid parameter "query": 1:5: parse error' }
    expect(parseQueryResponse(400, JSON.stringify(err))).toEqual({ ok: false, error: 'query failed (HTTP 400, bad_data): invalid parameter "query": 1:5: parse error' })
    expect(parseQueryResponse(200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }))).toMatchObject({ ok: false, error: expect.stringMatching(/range vector/) })
    expect(parseQueryResponse(502, '<html>bad gateway</html>')).toEqual({ ok: false, error: 'HTTP 502: not a Prometheus answer' })
  })
})

describe('instantQuery over HTTP', () => {
  /** A stub Prometheus that records what it got and answers after `delayMs`. */
  async function stub(delayMs = 0) {
    const seen: Array<{
      method: string | undefined
      url: string | undefined
      auth: string | undefined
      type: string | undefined
      body: string
    }> = []
    const server = createServer((req: IncomingMessage, res) => {
      let body = ''
      req.on('data', (d: Buffer) => { body += d.toString() })
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, type: req.headers['content-type'], body })
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.5'] }] } }))
        }, delayMs)
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as { port: number }
    const close = () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()) })
    return { port, seen, close }
  }

  it('POSTs the query as a form under the base path, credentials as Basic authentication', async () => {
    const s = await stub()
    try {
      const answer = await instantQuery({ url: `http://ops:s3cret@127.0.0.1:${s.port}/prom`, timeoutMs: 2000 }, 'sum(up{v="new"})', 1500)
      expect(answer).toEqual({ ok: true, values: [0.5] })
      expect(s.seen[0]).toMatchObject({ method: 'POST', url: '/prom/api/v1/query', auth: `Basic ${Buffer.from('ops:s3cret').toString('base64')}`, type: 'application/x-www-form-urlencoded' })
      expect(new URLSearchParams(s.seen[0]!.body).get('query')).toBe('sum(up{v="new"})')
      expect(new URLSearchParams(s.seen[0]!.body).get('timeout')).toBe('1.5')
    } finally {
      await s.close()
    }
  })

  it('a slow or absent server is an answer with the reason, never a throw', async () => {
    const s = await stub(2000)
    try {
      expect(await instantQuery({ url: `http://127.0.0.1:${s.port}`, timeoutMs: 100 }, 'up', 100)).toEqual({ ok: false, error: 'Prometheus unreachable (timed out after 100 ms)' })
    } finally {
      await s.close()
    }
    // Closed: refused (unless another process took the port meanwhile, which answers something else).
    expect(await instantQuery({ url: `http://127.0.0.1:${s.port}`, timeoutMs: 1000 }, 'up', 1000)).toMatchObject({ ok: false, error: expect.stringMatching(/^Prometheus unreachable \(ECONNREFUSED\)$|HTTP/) })
  })
})
