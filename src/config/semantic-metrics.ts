import type { Finding, KeyPath } from './problem.js'
import { arr, rec, type Rec } from './untyped.js'
import { httpUrlProblem } from './values.js'

/**
 * The checks of `prometheus` and `rollout.analysis.metrics` a schema cannot express: server URLs, a
 * server for every check (its own or the top-level one), at least one limit, unique names, the
 * query's templates, min not above max. Like semantic.ts, each looks at a value only when it has
 * the right type (a wrong type is the schema's finding).
 */

type Report = (path: KeyPath, message: string) => void

const LIMITS = ['max', 'min', 'maxVsOld', 'minVsOld'] as const
const TEMPLATE = /\{\{\s*([^}]*?)\s*\}\}/g

export function metricCheckFindings(root: Rec, report: (f: Finding) => void): void {
  const say: Report = (path, message) => report({ path, message })
  const top = rec(root.prometheus)
  checkServer(top, ['prometheus'], say)
  const hasTop = typeof top?.url === 'string'
  arr(root.routes).forEach((r, i) => checkTarget(rec(r), ['routes', i], 'route', hasTop, say))
  arr(root.queues).forEach((q, i) => checkTarget(rec(q), ['queues', i], 'queue', hasTop, say))
}

/** A Prometheus base URL: http(s) with a host; a path prefix is fine (a proxy), a query string is not. */
export function prometheusUrlProblem(text: string): string | undefined {
  const problem = httpUrlProblem(text)
  if (problem !== undefined) return problem.replace('https://hooks.example.com/sluice', 'http://127.0.0.1:9090')
  const url = new URL(text)
  if (url.search !== '' || url.hash !== '') return `'${text}' must not have a query or fragment: sluice appends /api/v1/query`
  return undefined
}

function checkServer(server: Rec | undefined, path: KeyPath, say: Report): void {
  if (typeof server?.url === 'string') {
    const message = prometheusUrlProblem(server.url)
    if (message !== undefined) say([...path, 'url'], message)
  }
}

function checkTarget(target: Rec | undefined, path: KeyPath, kind: 'route' | 'queue', hasTop: boolean, say: Report): void {
  const at = [...path, 'rollout', 'analysis', 'metrics']
  const seen = new Set<string>()
  arr(rec(rec(target?.rollout)?.analysis)?.metrics).forEach((item, i) => {
    const check = rec(item)
    if (!check) return
    const here = [...at, i]
    if (typeof check.name === 'string') {
      if (seen.has(check.name)) say([...here, 'name'], `'${check.name}' is already a metric check of this analysis: names must be unique`)
      seen.add(check.name)
    }
    if (!LIMITS.some((l) => check[l] !== undefined)) say(here, `needs a limit: set at least one of ${LIMITS.join(', ')}`)
    const own = rec(check.prometheus)
    checkServer(own, [...here, 'prometheus'], say)
    if (!hasTop && typeof own?.url !== 'string') say(here, "needs a Prometheus server: set the top-level prometheus.url, or this check's prometheus.url")
    if (typeof check.query === 'string') checkQuery(check, here, kind, say)
    if (typeof check.min === 'number' && typeof check.max === 'number' && check.min > check.max) {
      say([...here, 'min'], `${check.min} is above max (${check.max}): no value could pass`)
    }
  })
}

/** Templates: {{side}} and the target's name ({{route}} or {{queue}}); a relative limit needs {{side}}. */
function checkQuery(check: Rec, path: KeyPath, kind: 'route' | 'queue', say: Report): void {
  const query = check.query as string
  const allowed = ['side', kind]
  const names = [...query.matchAll(TEMPLATE)].map((m) => m[1] ?? '')
  for (const name of new Set(names)) {
    if (allowed.includes(name)) continue
    const what = name === 'route' || name === 'queue' ? `{{${name}}} is for ${name}s` : `unknown template {{${name}}}`
    say([...path, 'query'], `${what}: a ${kind}'s query may use {{side}} (old or new) and {{${kind}}} (its name)`)
  }
  if (names.includes('side')) return
  for (const limit of ['maxVsOld', 'minVsOld'] as const) {
    if (check[limit] !== undefined) say([...path, limit], 'compares new with old, but the query has no {{side}}: both sides would run the same query')
  }
}
