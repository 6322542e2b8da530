import { request } from 'undici'
import type { QueueConfig, RouteConfig } from '../../src/config/types.js'
import { Commands } from '../../src/control/commands.js'
import { createAdminServer } from '../../src/admin/server.js'
import { groupSizesOf } from '../../src/admin/group-sizes.js'
import { buildViews } from '../../src/state/views.js'
import { createLogger, type Logger } from '../../src/observe/log.js'
import { createRecorder, type Recorder } from '../../src/observe/metrics/recorder.js'
import { recordLiveState } from '../../src/observe/live-gauges.js'
import { MemoryStateStore } from '../../src/state/memory.js'
import { ManualClock } from '../../src/util/clock.js'

/** A route as config/normalize would produce it, built by hand so admin tests do not depend on config/. */
export function routeConfig(name: string, over: Partial<RouteConfig> = {}): RouteConfig {
  return {
    name,
    match: { host: undefined, pathPrefix: `/${name}` },
    old: ['http://127.0.0.1:9001'],
    new: ['http://127.0.0.1:9002'],
    percentBp: 0,
    sticky: [{ kind: 'header', name: 'x-user-id' }],
    assignCookie: undefined,
    groups: [],
    optIn: false,
    rollout: undefined, goals: [],
    timeouts: { connectMs: 5000, headerMs: 60_000, idleMs: 60_000 },
    exposeBackendHeader: false,
    ...over,
  }
}

export function queueConfig(name: string, over: Partial<QueueConfig> = {}): QueueConfig {
  return {
    name,
    source: { type: 'redis-list', url: 'redis://:secret@127.0.0.1:6379', key: `jobs:${name}` },
    old: { type: 'redis-list', url: 'redis://:secret@127.0.0.1:6379', key: `jobs:${name}:old` },
    new: { type: 'http', url: 'http://127.0.0.1:9003/jobs', timeoutMs: 5000, retries: 3 },
    percentBp: 0,
    sticky: [{ kind: 'json', field: 'tenantId' }],
    groups: [],
    rollout: undefined,
    ...over,
  }
}

/** Captures pino's JSON lines as objects. */
export function captureLogger(level = 'info'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const destination = { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>) } }
  const logger = createLogger({ level, destination })
  return { logger, lines }
}

export interface AdminHarnessOptions {
  routes?: readonly RouteConfig[]
  queues?: readonly QueueConfig[]
  token?: string
  host?: string
  allowedHosts?: readonly string[]
}

export interface Readiness { ready: boolean; checks: Record<string, boolean> }

export interface AdminHarness {
  readonly base: string
  readonly store: MemoryStateStore
  readonly recorder: Recorder
  readonly commands: Commands
  readonly clock: ManualClock
  readonly logs: Array<Record<string, unknown>>
  /** How often the decision views (member maps) were built, and group sizes read from them. */
  readonly counts: { readonly viewBuilds: number; readonly sizeReads: number }
  /** What /readyz reports from now on. */
  setReadiness(r: Readiness): void
  close(): Promise<void>
}

/** The admin plane wired as app.ts does (store → recorder → file intent → listen), on port 0. */
export async function startAdmin(opts: AdminHarnessOptions = {}): Promise<AdminHarness> {
  const targets = { routes: opts.routes ?? [routeConfig('checkout')], queues: opts.queues ?? [] }
  const store = new MemoryStateStore()
  const clock = new ManualClock(Date.UTC(2026, 4, 4, 9, 0, 0))
  const recorder = createRecorder({ version: '0.0.0-test' })
  const { logger, lines } = captureLogger()
  const commands = new Commands({ store, clock, logger, recorder, targets: () => targets })
  recorder.setTargets(targets.routes, targets.queues)
  store.onChange(() => recordLiveState(recorder, targets, store.snapshot()))
  await commands.applyFileIntent(targets, undefined)
  let readiness: Readiness = { ready: true, checks: { config: true, stateStore: true } }
  // Decision views rebuilt on every state change, as app.ts does: group sizes are read from them.
  const counts = { viewBuilds: 0, sizeReads: 0 }
  const build = () => { counts.viewBuilds++; return buildViews(targets.routes, targets.queues, store.snapshot()) }
  let views = build()
  store.onChange(() => { views = build() })
  const server = createAdminServer({
    listen: { host: opts.host ?? '127.0.0.1', port: 0 }, token: opts.token, allowedHosts: opts.allowedHosts, recorder, commands, store,
    targets: () => targets, readiness: () => readiness, logger, clock,
    groupSizes: (ref) => { counts.sizeReads++; return groupSizesOf(views, ref) },
  })
  const addr = await server.listen()
  const host = addr.host === '0.0.0.0' ? '127.0.0.1' : addr.host.includes(':') ? `[${addr.host}]` : addr.host
  return {
    base: `http://${host}:${addr.port}`, store, recorder, commands, clock, logs: lines, counts,
    setReadiness: (r) => { readiness = r },
    close: async () => { await server.close(); await store.close() },
  }
}

export interface CallResult {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json: unknown
}

/** One HTTP call to the admin plane; the body is read whole (and parsed when it is JSON). */
export async function call(
  base: string, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string,
  opts: { token?: string; body?: string | object; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  // Like the CLI: every state-changing call says JSON, with or without a body.
  const headers: Record<string, string> = method === 'GET' ? {} : { 'content-type': 'application/json' }
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`
  let body: string | undefined
  if (opts.body !== undefined) body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body)
  Object.assign(headers, opts.headers)
  const res = await request(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
  const text = await res.body.text()
  const isJson = String(res.headers['content-type'] ?? '').startsWith('application/json')
  return { status: res.statusCode, headers: res.headers, text, json: isJson ? JSON.parse(text) : undefined }
}

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** Prometheus text format → samples (enough for sluice's own output: no escapes inside label values). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`unparsable metrics line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[l[1]!] = l[2]!
    out.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return out
}

/** The value of the one sample with this name whose labels include `labels`; undefined when absent. */
export function valueOf(
  samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`)
  return hits[0]?.value
}
