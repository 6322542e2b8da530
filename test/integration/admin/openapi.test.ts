import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Pool, request } from 'undici'
import type { Logger } from 'pino'
import { buildRouter, type AdminDeps } from '../../../src/admin/server.js'
import { createRecorder } from '../../../src/observe/metrics/recorder.js'
import { SluiceProcess } from '../../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../../helpers/side-backend.js'
import { waitFor } from '../../helpers/wait-for.js'
import { OpenApiContract, openApiPath, type Answer } from '../../helpers/openapi-contract.js'

/**
 * docs/openapi.yaml against the admin plane itself (issue 18): the document is OpenAPI 3.1 with
 * every `$ref` resolving and every schema compiling; it lists exactly the endpoints the admin
 * router registers; and a real `sluice start` answers every documented operation, success and
 * documented errors alike, with bodies that validate against their schemas (Ajv, 2020-12).
 */

const contract = new OpenApiContract()
const operations = contract.operations()
const key = (method: string, path: string) => `${method} ${path}`

describe('docs/openapi.yaml, the document', () => {
  it('is OpenAPI 3.1 with an info block, unique operationIds and only operations under paths', () => {
    expect(String(contract.doc['openapi'])).toMatch(/^3\.1\.\d+$/)
    expect(contract.doc['info']).toMatchObject({ title: expect.any(String), version: expect.any(String) })
    const ids = operations.map((o) => o.operationId)
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([])
    expect(operations.filter((o) => o.statuses.length === 0).map((o) => key(o.method, o.path))).toEqual([])
  })

  it('resolves every $ref, and every schema compiles under strict Ajv 2020-12', () => {
    const unresolved: string[] = []
    const schemas: string[] = []
    const walk = (node: unknown, pointer: string): void => {
      if (node === null || typeof node !== 'object') return
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${pointer}/${i}`))
      const obj = node as Record<string, unknown>
      if (typeof obj['$ref'] === 'string') {
        try { contract.resolveRef(obj['$ref']) } catch (err) { unresolved.push(`${pointer}: ${(err as Error).message}`) }
      }
      for (const [k, v] of Object.entries(obj)) {
        const child = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`
        // A `schema` of a media type, parameter or header, and every component schema.
        if (k === 'schema' || pointer === '/components/schemas') schemas.push(child)
        else walk(v, child)
      }
    }
    walk(contract.doc, '')
    expect(unresolved).toEqual([])
    const broken = schemas.flatMap((p) => { try { contract.validatorAt(p); return [] } catch (err) { return [`${p}: ${(err as Error).message}`] } })
    expect(broken).toEqual([])
    expect(schemas.length).toBeGreaterThan(40)
  })

  it('every example in a schema is valid against that schema', () => {
    const wrong: string[] = []
    let count = 0
    const walk = (node: unknown, pointer: string): void => {
      if (node === null || typeof node !== 'object') return
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${pointer}/${i}`))
      const obj = node as Record<string, unknown>
      if (Array.isArray(obj['examples']) && (pointer.startsWith('/components/schemas/') || pointer.endsWith('/schema'))) {
        const validate = contract.validatorAt(pointer)
        for (const example of obj['examples']) {
          count++
          if (!validate(example)) wrong.push(`${pointer}: ${JSON.stringify(example)}: ${JSON.stringify(validate.errors)}`)
        }
      }
      for (const [k, v] of Object.entries(obj)) walk(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`)
    }
    walk(contract.doc, '')
    expect(wrong).toEqual([])
    expect(count).toBeGreaterThan(4)
  })

  it('declares every path parameter of every template, and no other', () => {
    const problems: string[] = []
    const paths = contract.doc['paths'] as Record<string, Record<string, { parameters?: unknown[] }>>
    for (const op of operations) {
      const item = paths[op.path]!
      const declared = [...(item['parameters'] ?? []) as unknown[], ...((item[op.method.toLowerCase()]!.parameters ?? []) as unknown[])]
        .map((p) => (typeof (p as { $ref?: string }).$ref === 'string' ? contract.resolveRef((p as { $ref: string }).$ref) : p) as { name: string; in: string; required?: boolean })
        .filter((p) => p.in === 'path')
      for (const p of declared) if (p.required !== true) problems.push(`${key(op.method, op.path)}: path parameter ${p.name} must be required`)
      const names = declared.map((p) => p.name).sort()
      if (JSON.stringify(names) !== JSON.stringify([...op.pathParams].sort())) problems.push(`${key(op.method, op.path)}: declares ${names.join(', ') || 'none'}, the template has ${op.pathParams.join(', ') || 'none'}`)
    }
    expect(problems).toEqual([])
  })

  it('documents exactly the endpoints the admin router registers (goals and OFREP included)', () => {
    const stub = {} as never
    const deps: AdminDeps = {
      listen: { host: '127.0.0.1', port: 0 }, token: undefined, recorder: createRecorder({ version: '0.0.0-test' }),
      commands: stub, store: stub, targets: () => ({ routes: [], queues: [] }),
      readiness: () => ({ ready: true, checks: {} }),
      logger: stub as Logger, groupSizes: () => undefined, goals: stub, ofrep: stub, series: stub,
    }
    const registered = new Set(buildRouter(deps).routes().map((r) => key(r.method, openApiPath(r.pattern))))
    const documented = new Set(operations.map((o) => key(o.method, o.path)))
    const undocumented = [...registered].filter((k) => !documented.has(k))
    const gone = [...documented].filter((k) => !registered.has(k))
    expect({ 'registered by the router but not in docs/openapi.yaml': undocumented, 'in docs/openapi.yaml but not registered': gone })
      .toEqual({ 'registered by the router but not in docs/openapi.yaml': [], 'in docs/openapi.yaml but not registered': [] })
  })
})

const TOKEN = 'openapi-contract-token'
/** A path segment that is not valid percent-encoding: the router's 400. */
const BAD_SEGMENT = '%E0%A4%A'
/** Over the 64 KiB body cap. */
const HUGE_BODY = JSON.stringify({ reason: 'x'.repeat(70 * 1024) })
/** A state store that cannot write, and a compare-and-set lost to concurrent writers again and again. */
const UNPROVOKABLE: ReadonlySet<string> = new Set(['#/components/responses/StateStoreDown', '#/components/responses/ConcurrentChange'])

interface CallOptions {
  /** Path parameter values; `{name}` etc. are filled in (already URL-encoded). */
  readonly params?: Readonly<Record<string, string>>
  readonly query?: string
  readonly body?: string | object
  /** Default: the bearer token. `null`: no Authorization header. */
  readonly authorization?: string | null
  readonly headers?: Readonly<Record<string, string>>
  /** The status this call must get (the document must list it too). */
  readonly expect: number
}

describe('docs/openapi.yaml against a running sluice', () => {
  let sluice: SluiceProcess
  let backends: SideBackend[] = []
  let prometheus: Server | undefined
  /** `METHOD PATH STATUS` of every answer checked. */
  const exercised = new Set<string>()

  /** One call to the admin plane; its answer must match the document and `opts.expect`. */
  async function hit(method: string, path: string, opts: CallOptions): Promise<Answer & { json: unknown }> {
    const url = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const v = opts.params?.[name]
      if (v === undefined) throw new Error(`no value for {${name}} in ${path}`)
      return v
    }) + (opts.query ?? '')
    const headers: Record<string, string> = method === 'GET' ? {} : { 'content-type': 'application/json' }
    if (opts.authorization !== null) headers['authorization'] = opts.authorization ?? `Bearer ${TOKEN}`
    Object.assign(headers, opts.headers)
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
    const res = await request(`${sluice.admin}${url}`, { method: method as 'GET', headers, ...(body === undefined ? {} : { body }) })
    const answer = { status: res.statusCode, headers: res.headers, text: await res.body.text() }
    const problems = contract.problems(method, path, answer)
    if (answer.status >= 200 && answer.status < 300 && typeof opts.body === 'object') problems.push(...contract.requestProblems(method, path, opts.body))
    if (problems.length > 0) throw new Error(`${method} ${url} does not match docs/openapi.yaml:\n  ${problems.join('\n  ')}`)
    if (answer.status !== opts.expect) throw new Error(`${method} ${url}: expected ${opts.expect}, got ${answer.status}: ${answer.text.slice(0, 400)}`)
    exercised.add(`${key(method, path)} ${answer.status}`)
    const json = String(answer.headers['content-type'] ?? '').startsWith('application/json') ? JSON.parse(answer.text) as unknown : undefined
    return { ...answer, json }
  }

  beforeAll(async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    const [old, neu] = backends.map((b) => b.url)
    // A stand-in for Prometheus's instant-query API (real Prometheus is tested in
    // test/e2e/rollout-metric-checks.test.ts): here only the shape of sluice's answers matters.
    prometheus = createServer((req, res) => {
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [Date.now() / 1000, '0.001'] }] } }))
    })
    await new Promise<void>((r) => prometheus!.listen(0, '127.0.0.1', r))
    sluice = await new SluiceProcess(`listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: ${TOKEN} }
prometheus: { url: "http://127.0.0.1:${(prometheus.address() as { port: number }).port}" }
# A long drain delay: /readyz answers 503 while it lasts (the last check below).
shutdown: { drainDelay: 60s, timeout: 5s }
routes:
  - name: plain
    match: { pathPrefix: /plain }
    old: ${old}
    new: ${neu}
    sticky: [header:x-user-id]
  - name: ramp
    match: { pathPrefix: /ramp }
    old: ${old}
    new: ${neu}
    sticky: [header:x-user-id]
    rollout: { steps: [50, 100], interval: 1h }
  - name: app
    old: ${old}
    new: ${neu}
    sticky: [header:x-user-id]
    groups: { beta: { backend: new, users: [alice] } }
    goals: [{ name: purchase, better: higher }]
    shadow: { percent: 100 }
    # minRequests out of reach: the first step holds once its interval is over, and the hold is a
    # history event with the verdict's figures; the route stays progressing for the levers below.
    rollout:
      steps: [10, 50, 100]
      interval: 1s
      analysis:
        window: 1s
        minRequests: 1000000
        maxErrorRate: 0.05
        maxP99Ms: 1000
        metrics: [{ name: app-errors, query: 'sum(app_errors{side="{{side}}"})', max: 0.01 }]
queues:
  - name: jobs
    old: { type: http, url: "http://127.0.0.1:9/old" }
    new: { type: http, url: "http://127.0.0.1:9/new" }
    sticky: [json:tenantId]
    groups: { vip: { backend: new, users: [t1] } }
    rollout: { steps: [10, 100], interval: 1h }
`).start()
    // Traffic on `app` until analysis has judged a window and held the step (figures in history).
    const pool = new Pool(sluice.data, { connections: 4 })
    let n = 0
    let running = true
    const loop = async () => {
      while (running) {
        const res = await pool.request({ path: '/', method: 'GET', headers: { 'x-user-id': `u${n++ % 500}` } }).catch(() => undefined)
        await res?.body.dump().catch(() => undefined)
      }
    }
    const loops = Array.from({ length: 4 }, loop)
    try {
      let seen = ''
      await waitFor(async () => {
        const get = (p: string) => request(`${sluice.admin}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.body.json())
        const route = await get('/api/routes/app') as { lastVerdict: unknown; analysis?: { evidence: Record<string, unknown> } }
        const history = await get('/api/routes/app/history') as { events: Array<{ figures?: unknown }> }
        seen = JSON.stringify({ route, history })
        const judged = route.lastVerdict !== null && route.analysis?.evidence['metric:app-errors'] !== undefined
        return judged && history.events.some((e) => e.figures !== undefined)
      }, { timeoutMs: 60_000, intervalMs: 200, message: 'a verdict, analysis evidence and a history event with figures on route app' })
        .catch((err: Error) => { throw new Error(`${err.message}\nlast seen: ${seen}`) })
    } finally {
      running = false
      await Promise.all(loops)
      await pool.destroy()
    }
  }, 90_000)

  afterAll(async () => {
    await sluice?.stop()
    await Promise.all(backends.map((b) => b.close()))
    await new Promise((r) => prometheus?.close(r))
  })

  it('probes, metrics and the dashboard', async () => {
    await hit('GET', '/healthz', { authorization: null, expect: 200 })
    await hit('GET', '/readyz', { authorization: null, expect: 200 })
    const metrics = await hit('GET', '/metrics', { authorization: null, expect: 200 })
    expect(metrics.text).toContain('sluice_requests_total')
    await hit('GET', '/', { expect: 200 })
    await hit('GET', '/', { authorization: `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}`, expect: 200 })
    for (const file of ['/ui/dashboard.js', '/ui/dashboard.css', '/ui/uplot.js', '/ui/uplot.css']) await hit('GET', file, { authorization: null, expect: 200 })
  })

  it('routes: status with verdict, analysis, goals and history figures; levers; groups; goal events', async () => {
    const list = await hit('GET', '/api/routes', { expect: 200 })
    expect((list.json as { routes: unknown[] }).routes).toHaveLength(3)
    const app = (await hit('GET', '/api/routes/{name}', { params: { name: 'app' }, expect: 200 })).json as Record<string, unknown>
    expect(app).toMatchObject({ state: 'progressing', lastVerdict: { kind: 'inconclusive', outside: [{ kind: 'goal', name: 'purchase', outcome: 'pass' }, { kind: 'metric', name: 'app-errors' }] }, goals: { purchase: {} } })
    expect(Object.keys((app['analysis'] as { evidence: object }).evidence).sort()).toEqual(['goal:purchase', 'maxErrorRate', 'maxP99Ms', 'metric:app-errors'])

    const history = (await hit('GET', '/api/routes/{name}/history', { params: { name: 'app' }, expect: 200 })).json as { events: Array<{ figures?: unknown }> }
    expect(history.events.some((e) => e.figures !== undefined)).toBe(true)
    await hit('GET', '/api/routes/{name}/history', { params: { name: 'app' }, query: '?limit=2', expect: 200 })
    await hit('GET', '/api/routes/{name}/history', { params: { name: 'app' }, query: '?limit=0', expect: 400 })
    await hit('GET', '/api/routes/{name}/shadow', { params: { name: 'app' }, expect: 200 })
    await hit('GET', '/api/routes/{name}/shadow', { params: { name: 'plain' }, expect: 404 })

    await hit('GET', '/api/routes/{name}/series', { params: { name: 'app' }, expect: 200 })
    await hit('GET', '/api/routes/{name}/series', { params: { name: 'app' }, query: '?minutes=5', expect: 200 })
    await hit('GET', '/api/routes/{name}/series', { params: { name: 'app' }, query: '?minutes=x', expect: 400 })

    await hit('PUT', '/api/routes/{name}/percent', { params: { name: 'plain' }, body: { percent: 5.25, reason: 'ramp up' }, expect: 200 })
    await hit('PUT', '/api/routes/{name}/percent', { params: { name: 'plain' }, body: { percent: 101 }, expect: 400 })
    await hit('POST', '/api/routes/{name}/pause', { params: { name: 'app' }, body: { reason: 'looking' }, expect: 200 })
    await hit('POST', '/api/routes/{name}/resume', { params: { name: 'app' }, expect: 200 })
    await hit('POST', '/api/routes/{name}/promote', { params: { name: 'ramp' }, expect: 200 })
    await hit('POST', '/api/routes/{name}/rollback', { params: { name: 'ramp' }, body: { reason: 'drill' }, expect: 200 })
    // Pausing a rolled-back route does not apply: 409 invalid_state.
    await hit('POST', '/api/routes/{name}/pause', { params: { name: 'ramp' }, expect: 409 })
    await hit('POST', '/api/routes/{name}/resume', { params: { name: 'plain' }, expect: 409 })
    await hit('POST', '/api/routes/{name}/promote', { params: { name: 'ramp' }, body: { reason: 7 }, expect: 400 })
    await hit('POST', '/api/routes/{name}/rollback', { params: { name: 'ramp' }, body: '{not json', expect: 400 })
    const ramp = (await hit('GET', '/api/routes/{name}', { params: { name: 'ramp' }, expect: 200 })).json
    expect(ramp).toMatchObject({ state: 'rolled_back', percent: 0 })

    await hit('GET', '/api/routes/{name}/groups', { params: { name: 'app' }, expect: 200 })
    const member = { name: 'app', group: 'beta', id: encodeURIComponent('bob@example.com') }
    expect((await hit('PUT', '/api/routes/{name}/groups/{group}/users/{id}', { params: member, expect: 200 })).json).toMatchObject({ member: true })
    expect((await hit('DELETE', '/api/routes/{name}/groups/{group}/users/{id}', { params: member, body: { reason: 'left' }, expect: 200 })).json).toMatchObject({ member: false })
    await hit('PUT', '/api/routes/{name}/groups/{group}/users/{id}', { params: { ...member, group: 'nope' }, expect: 404 })
    await hit('DELETE', '/api/routes/{name}/groups/{group}/users/{id}', { params: { ...member, group: 'nope' }, expect: 404 })
    await hit('PUT', '/api/routes/{name}/groups/{group}/users/{id}', { params: { ...member, id: '%01' }, expect: 400 })
    await hit('DELETE', '/api/routes/{name}/groups/{group}/users/{id}', { params: { ...member, id: '%01' }, expect: 400 })

    const goal = { name: 'app', goal: 'purchase' }
    await hit('POST', '/api/routes/{name}/goals/{goal}', { params: goal, body: { events: [{ key: 'u1', value: 59.9 }, { key: 'never-seen' }] }, expect: 202 })
    await hit('POST', '/api/routes/{name}/goals/{goal}', { params: { ...goal, goal: 'nope' }, body: { events: [] }, expect: 404 })
    await hit('POST', '/api/routes/{name}/goals/{goal}', { params: goal, body: { events: 5 }, expect: 400 })
  })

  it('queues: status, levers, groups and workers\' outcomes', async () => {
    const list = await hit('GET', '/api/queues', { expect: 200 })
    expect((list.json as { queues: unknown[] }).queues).toHaveLength(1)
    const q = { name: 'jobs' }
    expect((await hit('GET', '/api/queues/{name}', { params: q, expect: 200 })).json).toMatchObject({ kind: 'queue', source: { type: 'producer-api' } })
    await hit('POST', '/api/queues/{name}/pause', { params: q, expect: 200 })
    await hit('POST', '/api/queues/{name}/resume', { params: q, body: { reason: 'go on' }, expect: 200 })
    await hit('POST', '/api/queues/{name}/promote', { params: q, expect: 200 })
    await hit('POST', '/api/queues/{name}/resume', { params: q, expect: 409 })
    await hit('POST', '/api/queues/{name}/rollback', { params: q, expect: 200 })
    await hit('POST', '/api/queues/{name}/pause', { params: q, expect: 409 })
    for (const command of ['pause', 'resume', 'promote', 'rollback']) {
      await hit('POST', `/api/queues/{name}/${command}`, { params: q, body: { reason: ['not', 'a', 'string'] }, expect: 400 })
    }
    await hit('PUT', '/api/queues/{name}/percent', { params: q, body: { percent: 20 }, expect: 200 })
    await hit('PUT', '/api/queues/{name}/percent', { params: q, body: { percent: 0.001 }, expect: 400 })
    const history = (await hit('GET', '/api/queues/{name}/history', { params: q, expect: 200 })).json as { events: unknown[] }
    expect(history.events.length).toBeGreaterThanOrEqual(5)
    await hit('GET', '/api/queues/{name}/history', { params: q, query: '?limit=x', expect: 400 })
    await hit('GET', '/api/queues/{name}/series', { params: q, expect: 200 })
    await hit('GET', '/api/queues/{name}/series', { params: q, query: '?minutes=0', expect: 400 })

    await hit('GET', '/api/queues/{name}/groups', { params: q, expect: 200 })
    const member = { name: 'jobs', group: 'vip', id: 't2' }
    await hit('PUT', '/api/queues/{name}/groups/{group}/users/{id}', { params: member, expect: 200 })
    await hit('DELETE', '/api/queues/{name}/groups/{group}/users/{id}', { params: member, expect: 200 })
    await hit('PUT', '/api/queues/{name}/groups/{group}/users/{id}', { params: { ...member, group: 'nope' }, expect: 404 })
    await hit('DELETE', '/api/queues/{name}/groups/{group}/users/{id}', { params: { ...member, group: 'nope' }, expect: 404 })
    await hit('PUT', '/api/queues/{name}/groups/{group}/users/{id}', { params: { ...member, id: '%7F' }, expect: 400 })
    await hit('DELETE', '/api/queues/{name}/groups/{group}/users/{id}', { params: { ...member, id: '%7F' }, expect: 400 })

    const outcomes = [{ backend: 'new', ok: false, jobId: 'j1', durationMs: 12 }, { backend: 'old', ok: true }]
    expect((await hit('POST', '/api/queues/{name}/outcomes', { params: q, body: { outcomes }, expect: 202 })).json).toEqual({ accepted: 2 })
    await hit('POST', '/api/queues/{name}/outcomes', { params: q, body: { outcomes: [{ backend: 'both', ok: true }] }, expect: 400 })
  })

  it('OFREP: single and bulk evaluation, FLAG_NOT_FOUND, the OFREP 400s, ETag and 304', async () => {
    const single = '/ofrep/v1/evaluate/flags/{key}'
    expect((await hit('POST', single, { params: { key: 'app' }, body: { context: { targetingKey: 'alice' } }, expect: 200 })).json)
      .toMatchObject({ key: 'app', value: true, variant: 'new', reason: 'TARGETING_MATCH', metadata: { reason: 'group:beta' } })
    await hit('POST', single, { params: { key: 'app' }, body: { context: { targetingKey: 'u1' } }, expect: 200 })
    expect((await hit('POST', single, { params: { key: 'nope' }, body: {}, expect: 404 })).json).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' })
    expect((await hit('POST', single, { params: { key: 'app' }, body: {}, expect: 400 })).json).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' })
    expect((await hit('POST', single, { params: { key: 'app' }, body: 'not json', expect: 400 })).json).toMatchObject({ errorCode: 'PARSE_ERROR' })
    expect((await hit('POST', single, { params: { key: 'app' }, body: { context: 5 }, expect: 400 })).json).toMatchObject({ errorCode: 'INVALID_CONTEXT' })

    const bulk = '/ofrep/v1/evaluate/flags'
    const first = await hit('POST', bulk, { body: { context: { targetingKey: 'u1' } }, expect: 200 })
    expect((first.json as { flags: unknown[] }).flags).toHaveLength(3)
    const etag = String(first.headers['etag'])
    await hit('POST', bulk, { body: { context: { targetingKey: 'u1' } }, headers: { 'if-none-match': etag }, expect: 304 })
    // Without a key every flag is a failure entry inside a 200.
    const keyless = (await hit('POST', bulk, { body: {}, expect: 200 })).json as { flags: Array<{ errorCode?: string }> }
    expect(keyless.flags.every((f) => f.errorCode === 'TARGETING_KEY_MISSING')).toBe(true)
    expect((await hit('POST', bulk, { body: '[1]', expect: 400 })).json).toMatchObject({ errorCode: 'PARSE_ERROR' })
  })

  it('every documented refusal: 401 without the token, 403 foreign Host and Origin, 404 unknown names, 400 bad path segments, 413, 415', async () => {
    for (const op of operations) {
      const params = Object.fromEntries(op.pathParams.map((p) => [p, sample(op.path, p)]))
      if (op.needsToken) await hit(op.method, op.path, { params, authorization: null, expect: 401 })
      if (op.statuses.includes('403')) {
        await hit(op.method, op.path, { params, headers: { host: 'evil.example' }, expect: 403 })
        await hit(op.method, op.path, { params, headers: { origin: 'http://evil.example' }, expect: 403 })
      }
      if (op.statuses.includes('415')) await hit(op.method, op.path, { params, headers: { 'content-type': 'text/plain' }, body: '{}', expect: 415 })
      if (op.statuses.includes('413')) await hit(op.method, op.path, { params, body: HUGE_BODY, expect: 413 })
      if (op.pathParams.includes('name')) await hit(op.method, op.path, { params: { ...params, name: 'no-such-name' }, ...(op.hasRequestBody ? { body: {} } : {}), expect: 404 })
      if (op.pathParams.length > 0) {
        await hit(op.method, op.path, { params: { ...params, [op.pathParams[0]!]: BAD_SEGMENT }, expect: 400 })
      }
    }
  })

  it('/readyz answers 503 while shutting down', async () => {
    sluice.signal('SIGTERM')
    await waitFor(async () => (await request(`${sluice.admin}/readyz`)).statusCode === 503, { message: '/readyz 503 during the drain delay' })
    const ready = await hit('GET', '/readyz', { authorization: null, expect: 503 })
    expect(ready.json).toMatchObject({ status: 'unavailable', checks: { notShuttingDown: false } })
  })

  it('every documented answer was seen, but those a healthy single process cannot give on demand', () => {
    const missing = operations.flatMap((op) => op.statuses
      .filter((s) => !UNPROVOKABLE.has(op.responseRefs[s] ?? ''))
      .map((s) => `${key(op.method, op.path)} ${s}`)
      .filter((k) => !exercised.has(k)))
    expect(missing).toEqual([])
  })
})

/** A value for a path parameter that names something that exists. */
function sample(path: string, param: string): string {
  if (param === 'key') return 'app'
  if (param === 'goal') return 'purchase'
  if (param === 'group') return path.startsWith('/api/queues') ? 'vip' : 'beta'
  if (param === 'id') return 'someone'
  return path.startsWith('/api/queues') ? 'jobs' : 'app'
}
