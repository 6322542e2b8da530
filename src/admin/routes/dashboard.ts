import { historyJson, type HistoryEventJson, type TargetJson } from '../../control/status.js'
import type { TargetRef } from '../../core/types.js'
import type { Clock } from '../../util/clock.js'
import type { Router } from '../router.js'
import { text } from '../reply.js'

/** The browser re-reads the page this often: a ramp and a rollback show without a click. */
const REFRESH_SECONDS = 5
/** Events per target on the page; `sluice history NAME` has them all. */
const RECENT_EVENTS = 5

/**
 * The page's figures are computed at most once per this many ms, however many browsers poll:
 * a dashboard left open on ten screens must not cost the data plane anything noticeable.
 */
const FIGURES_TTL_MS = 1000

export interface DashboardDeps {
  readonly clock: Pick<Clock, 'now'>
  /** Every route and queue, as GET /api/routes and /api/queues describe them. */
  readonly targets: () => readonly TargetJson[]
  readonly history: (ref: TargetRef, limit: number) => Promise<ReturnType<typeof historyJson>>
}

/**
 * GET /: a read-only, server-rendered dashboard (no script, so it works anywhere and leaks nothing
 * the API would not): per route and queue the share to new, state, step, next step, schedule
 * window, the last analysis verdict with both sides' figures, group sizes and the latest events.
 * The figures are cached for FIGURES_TTL_MS (the page refreshes every few seconds anyway).
 */
export function dashboardRoutes(router: Router, deps: DashboardDeps): void {
  const cards = cached(deps.clock, FIGURES_TTL_MS, async () => {
    const targets = deps.targets()
    const rendered = await Promise.all(targets.map(async (t) => card(t, (await deps.history(t, RECENT_EVENTS)).events)))
    return rendered.join('\n')
  })
  router.add('GET', '/', async () => text(200, page(await cards()), 'text/html; charset=utf-8'))
}

/**
 * `compute` runs at most once per `ttlMs`; hits in between (and during a computation) share its
 * result. A failed computation is not kept: the next hit tries again.
 */
function cached<T>(clock: Pick<Clock, 'now'>, ttlMs: number, compute: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined
  let at = 0
  return () => {
    const now = clock.now()
    if (value !== undefined && now - at < ttlMs) return value
    at = now
    const next = compute()
    value = next
    next.catch(() => { if (value === next) value = undefined })
    return next
  }
}

function card(t: TargetJson, events: readonly HistoryEventJson[]): string {
  const step = t.steps.length > 0 ? `step ${t.step + 1}/${t.steps.length} (${t.steps.join(' → ')} %)` : 'no rollout'
  const facts = [
    step,
    t.nextStepAt ? `next step ${esc(t.nextStepAt)}` : '',
    t.windowOpen === null ? '' : t.windowOpen ? 'schedule window open' : 'outside the schedule windows',
    Object.entries(t.groups).map(([g, n]) => `${esc(g)}: ${n}`).join(', '),
  ].filter(Boolean).join(' · ')
  return `<section class="card ${esc(t.state)}">
<h2>${esc(t.name)} <small>${t.kind}</small> <span class="state">${esc(t.state.replace('_', ' '))}</span></h2>
<div class="bar" title="${t.percent}% to new"><div style="width:${Math.min(100, Math.max(0, t.percent))}%"></div></div>
<p><b>${t.percent}%</b> to new · ${facts}</p>
${verdict(t.lastVerdict)}
${events.length === 0 ? '' : `<table><thead><tr><th>at</th><th>actor</th><th>from</th><th>to</th><th>reason</th></tr></thead><tbody>
${events.slice().reverse().map(eventRow).join('\n')}
</tbody></table>`}
</section>`
}

function verdict(v: TargetJson['lastVerdict']): string {
  if (v === null) return ''
  const side = (s: { requests: number; errorRate: number; p99Ms: number | null }) =>
    `${s.requests} req, ${(s.errorRate * 100).toFixed(2)} % errors, p99 ${s.p99Ms === null ? '–' : `${s.p99Ms.toFixed(1)} ms`}`
  const label = v.pass ? 'pass' : v.kind === 'inconclusive' ? `inconclusive (${esc(v.missing ?? 'too few requests')})` : `fail: ${[...v.failed, ...(v.outside ?? []).filter((c) => c.outcome === 'fail').map((c) => c.summary)].map(esc).join(', ')}`
  return `<p class="verdict ${v.pass ? 'ok' : v.kind}">last analysis ${esc(v.at)}: <b>${label}</b> — new ${side(v.new)}; old ${side(v.old)}</p>`
}

function eventRow(e: HistoryEventJson): string {
  return `<tr><td>${esc(e.at)}</td><td>${esc(e.actor)}</td><td>${e.from.percent}% ${esc(e.from.state)}</td><td>${e.to.percent}% ${esc(e.to.state)}</td><td>${esc(e.reason ?? '')}</td></tr>`
}

function page(cards: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>sluice</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
.card{border:1px solid #ddd;border-radius:6px;padding:.2rem 1rem .6rem;margin:1rem 0}
.card.rolled_back{border-color:#c33}.card.completed{border-color:#393}
h2 small{color:#777;font-weight:normal}.state{font-size:.8em;padding:.1rem .5rem;border-radius:4px;background:#eee}
.rolled_back .state{background:#fdd}.completed .state{background:#dfd}.progressing .state{background:#def}
.bar{height:.6rem;background:#eee;border-radius:3px}.bar div{height:100%;background:#36c;border-radius:3px}
.verdict.fail{color:#c33}.verdict.ok{color:#393}
table{border-collapse:collapse;font-size:.9em}td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}
</style>
</head><body><h1>sluice</h1>
${cards || '<p>no routes or queues configured</p>'}
<p><a href="/metrics">metrics</a> · JSON API under <code>/api</code> · refreshes every ${REFRESH_SECONDS} s</p>
</body></html>
`
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
