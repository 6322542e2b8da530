import { AdminCallError, adminTarget, callAdmin, callTarget, type AdminTarget } from '../admin-client.js'
import { EXIT } from '../exit-codes.js'
import { formatDuration } from '../../util/duration.js'
import { table, type Io } from '../io.js'
import type { Command } from '../command.js'
import { sleep } from '../../util/sleep.js'

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
  lastVerdict: null | {
    pass: boolean
    kind?: string
    failed?: string[]
    new?: { requests: number }
    missing?: string
    outside?: Array<{ kind: string; name: string; outcome: string }>
  }
  /** Routes only (README "Judging business outcomes"). */
  goals?: Record<string, GoalJson>
  /** Routes with shadow traffic (README "Shadow traffic"). */
  shadow?: { compared: number; mismatched: number; errors: number; skipped: number; mismatchRate: number | null }
  /** With rollout analysis: the step's counts and each check's evidence (README "Automatic rollouts"). */
  analysis?: {
    step: {
      old: { requests: number; errors: number; slow: number }
      new: { requests: number; errors: number; slow: number }
    }
    evidence: Record<string, { m: number; bar: number }>
    verdict: string
    missing?: string
  }
}

interface GoalSideJson { users: number; converted: number; rate: number }

export interface GoalJson {
  old: GoalSideJson
  new: GoalSideJson
  lift: number | null
  interval: [number, number] | null
  verdict: string
}

/**
 * `sluice status [NAME] [-o json] [--watch]`: one row per route and queue, or one target with its
 * analysis and goals. `--watch` redraws every 2 s until Ctrl-C; an admin plane that goes away while
 * watching is reported in the frame, not fatal (a deploy may restart sluice).
 */
export const statusCommand: Command = async (args, opts, io) => {
  const [name] = args
  const target = adminTarget(opts)
  const frame = async () => name === undefined ? allTargets(target, opts.output) : oneTarget(target, name, opts.output)
  try {
    if (opts.watch) return await watch(frame, io, opts.stopped)
    io.out(await frame())
    return EXIT.ok
  } catch (err) {
    return reportAdminError(err, io)
  }
}

async function allTargets(target: AdminTarget, output: 'table' | 'json'): Promise<string> {
  const routes = ((await callAdmin(target, 'GET', '/api/routes')) as { routes: TargetJson[] }).routes
  const queues = ((await callAdmin(target, 'GET', '/api/queues')) as { queues: TargetJson[] }).queues
  return output === 'json' ? JSON.stringify({ routes, queues }, null, 2) : statusTable([...routes, ...queues]) + goalsSection(routes) + shadowSection(routes)
}

async function oneTarget(target: AdminTarget, name: string, output: 'table' | 'json'): Promise<string> {
  const t = (await callTarget(target, 'GET', name, '')) as TargetJson
  return output === 'json' ? JSON.stringify(t, null, 2) : statusTable([t]) + analysisSection(t) + goalsSection(t.kind === 'route' ? [t] : []) + shadowSection(t.kind === 'route' ? [t] : [])
}

/** The step's counts per side and each check's evidence against its bar: what the verdict stands on. */
export function analysisSection(t: TargetJson): string {
  const a = t.analysis
  if (!a) return ''
  const side = (s: { requests: number; errors: number; slow: number }) => `${s.requests.toLocaleString('en-US')} requests, ${s.errors.toLocaleString('en-US')} errors, ${s.slow.toLocaleString('en-US')} slow`
  const checks = Object.entries(a.evidence).map(([check, e]) => `  ${check}: M ${e.m} of bar ${e.bar}`)
  return `\n\nanalysis at this step: ${a.verdict}${a.missing ? ` (waiting for ${a.missing})` : ''}\n  old: ${side(a.step.old)}\n  new: ${side(a.step.new)}${checks.length ? `\n${checks.join('\n')}` : ''}`
}

/** Redraw `frame` every WATCH_MS until `stopped` (Ctrl-C when not given). */
async function watch(frame: () => Promise<string>, io: Io, stopped?: Promise<void>): Promise<number> {
  const stop = stopped ?? sigint()
  let done = false
  void stop.then(() => { done = true })
  while (!done) {
    let text: string
    try { text = await frame() } catch (err) {
      if (!(err instanceof AdminCallError) || err.status !== undefined) throw err
      text = `sluice: ${err.message}; retrying`
    }
    // A terminal is cleared and redrawn; a pipe or file gets each frame after a timestamp line.
    io.out(io.isTTY ? `\x1b[H\x1b[2J${text}` : `--- ${new Date().toISOString()}\n${text}`)
    // A plain timer: it is what keeps the process alive between frames.
    await Promise.race([stop, sleep(WATCH_MS)])
  }
  return EXIT.ok
}

const WATCH_MS = 2000

function sigint(): Promise<void> {
  return new Promise((resolve) => process.once('SIGINT', () => resolve()))
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

/** One row per route with shadow traffic; '' when none has it. `sluice shadow NAME` shows the differences. */
export function shadowSection(routes: readonly TargetJson[]): string {
  const rows = routes.flatMap((r) => r.shadow === undefined ? [] : [[
    r.name, String(r.shadow.compared), String(r.shadow.mismatched), String(r.shadow.errors), String(r.shadow.skipped),
    r.shadow.mismatchRate === null ? '-' : `${(r.shadow.mismatchRate * 100).toFixed(2)}%`,
  ]])
  if (rows.length === 0) return ''
  return '\n\n' + table(['ROUTE', 'SHADOW COMPARED', 'MISMATCHED', 'ERRORS', 'SKIPPED', 'MISMATCH RATE'], rows)
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
