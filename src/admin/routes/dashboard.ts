import { historyJson, type HistoryEventJson, type TargetJson } from '../../control/status.js'
import type { TargetRef } from '../../core/types.js'
import type { Clock } from '../../util/clock.js'
import type { Router } from '../router.js'
import { text } from '../reply.js'

/** Without JavaScript the browser re-reads the page this often: a ramp and a rollback show without a click. */
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
  router.add('GET', '/', async () => {
    const reply = text(200, page(await cards()), 'text/html; charset=utf-8')
    return { ...reply, headers: { ...reply.headers, ...PAGE_HEADERS } }
  })
}

/**
 * No inline script or style, nothing from another origin: the page's code is /ui/dashboard.js (it
 * draws the charts and offers the levers), served by this plane with uPlot. The token the operator
 * types stays in sessionStorage and travels as a bearer header: no cookie, so no other site's page
 * can make the browser use it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ')

const PAGE_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
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
  const ramp = `(${t.steps.join(' → ')} %)`
  // After a rollback or at the end the step index says nothing useful ("step 0/5"): say what happened.
  const step = t.steps.length === 0 ? 'no rollout'
    : t.state === 'rolled_back' ? `rolled back ${ramp}`
      : t.state === 'completed' ? `completed ${ramp}`
        : `step ${t.step + 1}/${t.steps.length} ${ramp}`
  const facts = [
    step,
    t.nextStepAt ? `next step ${esc(t.nextStepAt)}` : '',
    t.windowOpen === null ? '' : t.windowOpen ? 'schedule window open' : 'outside the schedule windows',
    Object.entries(t.groups).map(([g, n]) => `${esc(g)}: ${n}`).join(', '),
  ].filter(Boolean).join(' · ')
  // The share bar is an SVG: a style attribute would need 'unsafe-inline' in the CSP.
  const width = Math.min(100, Math.max(0, t.percent))
  return `<section class="card ${esc(t.state)}" data-kind="${t.kind}" data-name="${esc(t.name)}">
<h2>${esc(t.name)} <small>${t.kind}</small> <span class="state">${esc(t.state.replace('_', ' '))}</span></h2>
<svg class="bar" viewBox="0 0 100 1" preserveAspectRatio="none" role="img" aria-label="${t.percent}% to new"><rect class="bar-bg" width="100" height="1"/><rect class="bar-new" width="${width}" height="1"/></svg>
<p class="facts"><b>${t.percent}%</b> to new · ${facts}</p>
${verdict(t.lastVerdict)}
${shadowLine(t.shadow)}
${events.length === 0 ? '' : `<table class="events"><thead><tr><th>at</th><th>actor</th><th>from</th><th>to</th><th>reason</th></tr></thead><tbody>
${events.slice().reverse().map(eventRow).join('\n')}
</tbody></table>`}
</section>`
}

function verdict(v: TargetJson['lastVerdict']): string {
  if (v === null) return ''
  const side = (s: { requests: number; errorRate: number; p99Ms: number | null }) =>
    `${s.requests} req, ${(s.errorRate * 100).toFixed(2)} % errors, p99 ${s.p99Ms === null ? '–' : `${s.p99Ms.toFixed(1)} ms`}`
  const label = v.pass ? 'pass' : v.kind === 'inconclusive' ? `inconclusive (${esc(v.missing ?? 'too few requests')})` : `fail: ${[...v.failed, ...(v.outside ?? []).filter((c) => c.outcome === 'fail').map((c) => c.summary)].map(esc).join(', ')}`
  return `<p class="verdict ${v.pass ? 'ok' : v.kind}">last analysis ${time(v.at)}: <b>${label}</b> — new ${side(v.new)}; old ${side(v.old)}</p>`
}

/** Routes with shadow traffic: how often new's answer differed from old's. */
function shadowLine(s: TargetJson['shadow']): string {
  if (s === undefined) return ''
  const rate = s.mismatchRate === null ? '–' : `${(s.mismatchRate * 100).toFixed(2)} %`
  return `<p class="shadow">shadow: <b>${rate}</b> mismatch rate · ${s.compared} compared, ${s.mismatched} mismatched, ${s.errors} errors, ${s.skipped} skipped</p>`
}

function eventRow(e: HistoryEventJson): string {
  return `<tr><td>${time(e.at)}</td><td>${esc(e.actor)}</td><td>${e.from.percent}% ${esc(e.from.state)}</td><td>${e.to.percent}% ${esc(e.to.state)}</td><td>${esc(e.reason ?? '')}</td></tr>`
}

/** UTC in the markup (the no-JavaScript page); dashboard.js rewrites it as local and relative time. */
function time(iso: string): string {
  return `<time datetime="${esc(iso)}">${esc(iso)}</time>`
}

/**
 * The page works without JavaScript (the cards above, re-read every REFRESH_SECONDS through a meta
 * refresh inside <noscript>); with it, dashboard.js adds the charts and levers and polls the API
 * instead of reloading the page.
 */
function page(cards: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<noscript><meta http-equiv="refresh" content="${REFRESH_SECONDS}"></noscript>
<title>sluice</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/uplot.css"><link rel="stylesheet" href="/ui/dashboard.css">
<script src="/ui/uplot.js" defer></script><script src="/ui/dashboard.js" defer></script>
</head><body><header><h1>sluice</h1><div id="access"></div></header>
<main>
${cards || '<p>no routes or queues configured</p>'}
</main>
<p class="foot"><a href="/metrics">metrics</a> · JSON API under <code>/api</code> · <span class="noscript-only">refreshes every ${REFRESH_SECONDS} s</span></p>
</body></html>
`
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
