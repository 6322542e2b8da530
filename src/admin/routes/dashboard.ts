import { describeTarget, type TargetConfig, type TargetJson, type TargetSet } from '../../control/status.js'
import type { Kind } from '../../core/types.js'
import type { StateStore } from '../../state/store.js'
import type { Router } from '../router.js'
import { text } from '../reply.js'

/** The browser re-reads the page this often; percent changes show without a click. */
const REFRESH_SECONDS = 5

/** A minimal read-only page: routes and queues with percent and state (the real dashboard comes later). */
export function dashboardRoutes(router: Router, store: StateStore, targets: () => TargetSet): void {
  router.add('GET', '/', () => {
    const set = targets()
    const rows = [
      ...set.routes.map((cfg) => describe('route', cfg, store)),
      ...set.queues.map((cfg) => describe('queue', cfg, store)),
    ]
    return text(200, page(rows), 'text/html; charset=utf-8')
  })
}

function describe(kind: Kind, cfg: TargetConfig, store: StateStore): TargetJson {
  return describeTarget(kind, cfg, store.get({ kind, name: cfg.name }))
}

function page(rows: readonly TargetJson[]): string {
  const body = rows.length === 0
    ? '<tr><td colspan="4">no routes or queues configured</td></tr>'
    : rows.map((t) => `<tr><td>${esc(t.name)}</td><td>${t.kind}</td><td>${t.percent}%</td><td>${esc(t.state)}</td></tr>`).join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<title>sluice</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body><h1>sluice</h1>
<table><thead><tr><th>name</th><th>kind</th><th>percent to new</th><th>state</th></tr></thead>
<tbody>
${body}
</tbody></table>
<p><a href="/metrics">metrics</a> · JSON API under <code>/api</code></p>
</body></html>
`
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
