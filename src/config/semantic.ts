import { parseKeySource } from './key-source.js'
import type { Finding, KeyPath } from './problem.js'
import { arr, rec, type Rec } from './untyped.js'
import { SINK_TYPES, SOURCE_TYPES } from './schema.js'
import {
  amqpUrlProblem,
  httpUrlProblem,
  listenProblem,
  originProblem,
  natsUrlProblem,
  percentDecimalsProblem,
  redisUrlProblem,
  timeZoneProblem,
} from './values.js'
import { explicitHost } from './backends.js'
import { parseJsonPath } from '../util/json-path.js'
import type { RawBackend } from './raw.js'
import { metricCheckFindings } from './semantic-metrics.js'

/**
 * The checks a JSON Schema cannot express well: URLs, two-decimal percents, unique names, key
 * sources, increasing steps, time zones. They run on the data whether or not the schema accepted
 * it, so one `validate` run reports everything; each check therefore looks at a value only when
 * it has the right type (a wrong type is the schema's finding).
 */
export function semanticFindings(data: unknown): Finding[] {
  const out: Finding[] = []
  const report: Report = (path, message) => out.push({ path, message })
  const root = rec(data)
  if (!root) return out
  checkTop(root, report)
  uniqueNames(root.routes, 'routes', report)
  uniqueNames(root.queues, 'queues', report)
  arr(root.routes).forEach((r, i) => checkRoute(rec(r), ['routes', i], report))
  arr(root.queues).forEach((q, i) => checkQueue(rec(q), ['queues', i], report))
  metricCheckFindings(root, (f) => out.push(f))
  return out
}

type Report = (path: KeyPath, message: string) => void
type Kind = 'route' | 'queue'

/** Run `check` on `value` if it is a string. */
function checkText(value: unknown, path: KeyPath, check: (text: string) => string | undefined, report: Report): void {
  const message = typeof value === 'string' ? check(value) : undefined
  if (message !== undefined) report(path, message)
}

function checkPercent(value: unknown, path: KeyPath, report: Report): void {
  // Out-of-range values are the schema's finding; only the decimals are checked here.
  if (typeof value !== 'number' || value < 0 || value > 100) return
  const message = percentDecimalsProblem(value)
  if (message !== undefined) report(path, message)
}

function checkTop(root: Rec, report: Report): void {
  checkText(root.listen, ['listen'], listenProblem, report)
  checkText(rec(root.listen)?.address, ['listen', 'address'], listenProblem, report)
  checkText(rec(root.admin)?.listen, ['admin', 'listen'], listenProblem, report)
  checkText(rec(rec(root.admin)?.listen)?.address, ['admin', 'listen', 'address'], listenProblem, report)
  arr(rec(root.notify)?.webhooks).forEach((w, i) => {
    if (typeof w === 'string') checkText(w, ['notify', 'webhooks', i], httpUrlProblem, report)
    else checkText(rec(w)?.url, ['notify', 'webhooks', i, 'url'], httpUrlProblem, report)
  })
  const state = rec(root.state)
  checkText(state?.redis, ['state', 'redis'], redisUrlProblem, report)
  if (state?.store === 'redis' && state.redis === undefined) report(['state', 'redis'], "is required when store is 'redis'")
}

/** A second route (or queue) with a name already used is reported at its `name`. */
function uniqueNames(list: unknown, key: 'routes' | 'queues', report: Report): void {
  const seen = new Map<string, number>()
  arr(list).forEach((item, i) => {
    const name = rec(item)?.name
    if (typeof name !== 'string') return
    const first = seen.get(name)
    if (first === undefined) seen.set(name, i)
    else report([key, i, 'name'], `'${name}' is already the name of ${key}.${first}: names must be unique`)
  })
}

/** A second goal of one route with a name already used is reported at its `name`. */
function uniqueGoals(list: unknown, path: KeyPath, report: Report): void {
  const seen = new Set<string>()
  arr(list).forEach((item, i) => {
    const name = rec(item)?.name
    if (typeof name !== 'string') return
    if (seen.has(name)) report([...path, i, 'name'], `'${name}' is already a goal of this route: goal names must be unique`)
    seen.add(name)
  })
}

function checkRoute(route: Rec | undefined, path: KeyPath, report: Report): void {
  if (!route) return
  uniqueGoals(route.goals, [...path, 'goals'], report)
  checkBackends(route.old, [...path, 'old'], report)
  checkBackends(route.new, [...path, 'new'], report)
  checkTargetCommon(route, path, 'route', report)
  checkShadow(rec(route.shadow), [...path, 'shadow'], report)
  const analysis = rec(rec(route.rollout)?.analysis)
  if (analysis?.maxMismatchRate !== undefined && !route.shadow) report([...path, 'rollout', 'analysis', 'maxMismatchRate'], 'needs shadow traffic: add a shadow block to this route')
}

/** README "Shadow traffic": two-decimal percent, parseable ignoreJson paths. */
function checkShadow(shadow: Rec | undefined, path: KeyPath, report: Report): void {
  if (!shadow) return
  checkPercent(shadow.percent, [...path, 'percent'], report)
  arr(rec(shadow.compare)?.ignoreJson).forEach((p, i) => checkText(p, [...path, 'compare', 'ignoreJson', i], jsonPathProblem, report))
}

function jsonPathProblem(text: string): string | undefined {
  const parsed = parseJsonPath(text)
  return typeof parsed === 'string' ? parsed : undefined
}

function checkQueue(queue: Rec | undefined, path: KeyPath, report: Report): void {
  if (!queue) return
  checkEndpoint(rec(queue.source), [...path, 'source'], SOURCE_TYPES, report)
  checkEndpoint(rec(queue.old), [...path, 'old'], SINK_TYPES, report)
  checkEndpoint(rec(queue.new), [...path, 'new'], SINK_TYPES, report)
  checkTargetCommon(queue, path, 'queue', report)
  const analysis = rec(rec(queue.rollout)?.analysis)
  if (analysis?.maxMismatchRate !== undefined) report([...path, 'rollout', 'analysis', 'maxMismatchRate'], 'applies to routes with shadow traffic only: queues have none')
}

/** What routes and queues share: percent, sticky, groups, rollout. */
function checkTargetCommon(target: Rec, path: KeyPath, kind: Kind, report: Report): void {
  checkPercent(target.percent, [...path, 'percent'], report)
  arr(target.sticky).forEach((s, i) => checkText(s, [...path, 'sticky', i], (t) => keySourceProblem(t, kind), report))
  for (const [name, group] of Object.entries(rec(target.groups) ?? {})) {
    checkText(rec(group)?.key, [...path, 'groups', name, 'key'], (t) => keySourceProblem(t, kind), report)
  }
  checkRollout(rec(target.rollout), [...path, 'rollout'], report)
}

function checkBackends(value: unknown, path: KeyPath, report: Report): void {
  if (!Array.isArray(value)) return checkBackend(value, path, report)
  value.forEach((b, i) => checkBackend(b, [...path, i], report))
  checkHostsAgree(value, path, report)
}

/** A URL string, or `{ url, host, tls }`: a valid origin, and TLS settings only for https. */
function checkBackend(value: unknown, path: KeyPath, report: Report): void {
  if (typeof value === 'string') return checkText(value, path, originProblem, report)
  const b = rec(value)
  if (!b || typeof b.url !== 'string') return
  checkText(b.url, [...path, 'url'], originProblem, report)
  const tls = rec(b.tls)
  if (tls && !b.url.toLowerCase().startsWith('https:')) report([...path, 'tls'], `applies to https:// backends only ('${b.url}' is not one)`)
  if (tls && (tls.cert === undefined) !== (tls.key === undefined)) report([...path, 'tls'], 'needs both cert and key for a client certificate, or neither')
}

/** One dispatcher serves a list, and the Host header is set before it picks an origin: one rule per side. */
function checkHostsAgree(list: readonly unknown[], path: KeyPath, report: Report): void {
  const valid = list.filter((b): b is RawBackend => typeof b === 'string' || typeof rec(b)?.url === 'string')
  const hosts = new Set(valid.map(explicitHost).filter((h) => h !== undefined))
  if (hosts.size > 1) report(path, `the backends of one side must agree on host (found ${[...hosts].join(', ')})`)
}

function checkEndpoint(endpoint: Rec | undefined, path: KeyPath, types: readonly string[], report: Report): void {
  // An unknown type already has its one clear message; its other keys mean nothing yet.
  if (!endpoint || !types.includes(String(endpoint.type))) return
  checkText(endpoint.url, [...path, 'url'], URL_PROBLEM[String(endpoint.type)] ?? redisUrlProblem, report)
}

const URL_PROBLEM: Readonly<Record<string, (text: string) => string | undefined>> = {
  http: httpUrlProblem, amqp: amqpUrlProblem, nats: natsUrlProblem,
}

/** Routes read keys from requests, queues from the job's JSON body. */
function keySourceProblem(text: string, kind: Kind): string | undefined {
  const parsed = parseKeySource(text)
  if (typeof parsed === 'string') return parsed
  if (kind === 'queue' && parsed.kind !== 'json') return `'${text}' cannot be read from a job: queues use json:FIELD`
  if (kind === 'route' && parsed.kind === 'json') return `'${text}' is for queues: routes use header:NAME, cookie:NAME, query:NAME or ip`
  return undefined
}

function checkRollout(rollout: Rec | undefined, path: KeyPath, report: Report): void {
  if (!rollout) return
  checkSteps(rollout.steps, [...path, 'steps'], report)
  const schedule = rec(rollout.schedule)
  if (!schedule) return
  checkText(schedule.timezone, [...path, 'schedule', 'timezone'], timeZoneProblem, report)
  checkPercent(schedule.outside, [...path, 'schedule', 'outside'], report)
  arr(schedule.windows).forEach((w, i) => checkWindow(rec(w), [...path, 'schedule', 'windows', i], report))
}

function checkSteps(steps: unknown, path: KeyPath, report: Report): void {
  let previous: number | undefined
  arr(steps).forEach((step, i) => {
    if (typeof step !== 'number') return
    checkPercent(step, [...path, i], report)
    if (previous !== undefined && step <= previous) {
      report([...path, i], `${step} is not above the step before it (${previous}): steps must be strictly increasing`)
    }
    previous = step
  })
}

function checkWindow(window: Rec | undefined, path: KeyPath, report: Report): void {
  if (typeof window?.from !== 'string' || window.from !== window.to) return
  report([...path, 'to'], `equals from (${window.from}), so the window is empty: use from: '00:00' and to: '24:00' for a whole day`)
}
