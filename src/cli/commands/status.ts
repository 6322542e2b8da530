import { AdminCallError, adminTarget, callAdmin } from '../admin-client.js'
import { EXIT } from '../exit-codes.js'
import { formatDuration } from '../../util/duration.js'
import { table, type Io } from '../io.js'
import type { Command } from '../command.js'

/** The fields of the admin API's ROUTE/QUEUE shape that the table shows. */
export interface TargetJson {
  name: string
  kind: 'route' | 'queue'
  percent: number
  state: string
  step: number
  steps: number[]
  nextStepAt: string | null
  windowOpen: boolean | null
  lastVerdict: null | { pass: boolean; kind?: string; failed?: string[]; new?: { requests: number }; missing?: string; outside?: Array<{ kind: string; name: string; outcome: string }> }
  /** Routes only (README "Judging business outcomes"). */
  goals?: Record<string, GoalJson>
}

interface GoalSideJson { users: number; converted: number; rate: number }

export interface GoalJson {
  old: GoalSideJson
  new: GoalSideJson
  lift: number | null
  interval: [number, number] | null
  verdict: string
}

/** `sluice status [-o json]`: one row per route and queue. */
export const statusCommand: Command = async (_args, opts, io) => {
  const target = adminTarget(opts)
  try {
    const routes = ((await callAdmin(target, 'GET', '/api/routes')) as { routes: TargetJson[] }).routes
    const queues = ((await callAdmin(target, 'GET', '/api/queues')) as { queues: TargetJson[] }).queues
    if (opts.output === 'json') io.out(JSON.stringify({ routes, queues }, null, 2))
    else io.out(statusTable([...routes, ...queues]) + goalsSection(routes))
    return EXIT.ok
  } catch (err) {
    return reportAdminError(err, io)
  }
}

export function statusTable(targets: readonly TargetJson[], now: number = Date.now()): string {
  if (targets.length === 0) return 'no routes or queues configured'
  return table(
    ['NAME', 'KIND', 'PERCENT', 'STATE', 'STEP', 'NEXT STEP', 'VERDICT'],
    targets.map((t) => [
      t.name, t.kind, `${t.percent}%`, t.state,
      t.steps.length > 0 ? `${t.step + 1}/${t.steps.length}` : '-', // step is -1 before the first step
      nextStepCell(t, now),
      verdictCell(t.lastVerdict),
    ]),
  )
}

/** A second table, one row per route goal; '' when no route has goals. */
export function goalsSection(routes: readonly TargetJson[]): string {
  const rows = routes.flatMap((r) => Object.entries(r.goals ?? {}).map(([goal, g]) => [
    r.name, goal, sideCell(g.old), sideCell(g.new), g.lift === null ? '-' : signedPercent(g.lift),
    g.interval === null ? '-' : `${signedPercent(g.interval[0])} … ${signedPercent(g.interval[1])}`, g.verdict,
  ]))
  if (rows.length === 0) return ''
  return '\n\n' + table(['ROUTE', 'GOAL', 'OLD', 'NEW', 'LIFT', 'INTERVAL', 'VERDICT'], rows)
}

/** "5.00% (450/9,000)": the rate and its counts. */
function sideCell(s: GoalSideJson): string {
  return `${(s.rate * 100).toFixed(2)}% (${s.converted.toLocaleString('en-US')}/${s.users.toLocaleString('en-US')})`
}

function signedPercent(x: number): string {
  const p = (x * 100).toFixed(1)
  return x > 0 ? `+${p}%` : `${p}%`
}

/** "in 7m12s" (or "now"); "window opens in 15h" when outside the schedule windows. */
function nextStepCell(t: TargetJson, now: number): string {
  if (t.nextStepAt === null) return '-'
  const ms = Date.parse(t.nextStepAt) - now
  const when = ms <= 0 ? 'now' : `in ${formatDuration(ms)}`
  return t.windowOpen === false ? `window opens ${when}` : when
}

function verdictCell(v: TargetJson['lastVerdict']): string {
  if (v === null) return '-'
  if (v.pass) return 'pass'
  if (v.kind === 'inconclusive') return `inconclusive (${v.missing ?? `new: ${v.new?.requests ?? 0} requests`})`
  const outside = (v.outside ?? []).filter((c) => c.outcome === 'fail').map((c) => `${c.kind} ${c.name}`)
  return `fail (${[...(v.failed ?? []), ...outside].join(', ')})`
}

/** Print an admin failure and return its exit code (2 unreachable/unauthorized, 1 refused). */
export function reportAdminError(err: unknown, io: Io): number {
  if (err instanceof AdminCallError) {
    io.err(`sluice: ${err.message}`)
    return err.exitCode
  }
  throw err
}
