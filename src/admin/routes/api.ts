import type { Commands, ManualCommand } from '../../control/commands.js'
import { describeTarget, findTarget, historyJson, shadowSummary, type RolloutFacts, type TargetConfig, type TargetSet } from '../../control/status.js'
import type { ShadowReport } from '../../observe/shadow.js'
import { effectiveMembers } from '../../state/views.js'
import { DEFAULT_GOAL_ALPHA, type GoalReport } from '../../core/goals.js'
import type { Kind, TargetRef } from '../../core/types.js'
import type { GoalCounter } from '../../observe/goals.js'
import { SluiceError } from '../../util/errors.js'
import { HISTORY_LIMIT, refKey, type StateStore } from '../../state/store.js'
import { readJsonObject } from '../body.js'
import type { GroupSizes } from '../group-sizes.js'
import { json, type Reply } from '../reply.js'
import type { AdminRequest, Router } from '../router.js'
import type { WorkerOutcome } from '../../dataplane/queue/worker-outcome.js'

export interface ApiDeps {
  readonly commands: Commands
  readonly store: StateStore
  readonly targets: () => TargetSet
  /** The rollout controller's view (next step, window, last verdict); absent in tests without one. */
  readonly rolloutFacts?: ((ref: TargetRef, cfg: TargetConfig) => RolloutFacts) | undefined
  /** Workers' job results for a queue (POST …/outcomes), handed to analysis. */
  readonly reportOutcomes?: ((queue: string, outcomes: readonly WorkerOutcome[]) => void) | undefined
  /** Effective group sizes, counted by the live views (see group-sizes.ts), never by building sets. */
  readonly groupSizes: (ref: TargetRef) => GroupSizes | undefined
  /** Goal counts per route (README "Judging business outcomes"); absent in tests without them. */
  readonly goals?: GoalCounter | undefined
  /** Shadow figures per route (README "Shadow traffic"); absent in tests without them. */
  readonly shadow?: ((route: string) => ShadowReport | undefined) | undefined
}

const KINDS: readonly Kind[] = ['route', 'queue']
const MANUAL_COMMANDS: readonly ManualCommand[] = ['pause', 'resume', 'promote', 'rollback']
/** A reason is a note for the history, not a document. */
const MAX_REASON_LENGTH = 500
/** Tolerance for float noise when checking "at most two decimals" (0.29 * 100 = 28.999999999999996). */
const DECIMAL_EPSILON = 1e-6
const PERCENT_EXAMPLE = '{"percent": 5, "reason": "ramp up"}'

/**
 * /api/routes… and /api/queues…: the JSON shapes of the README's Admin plane and API section. The token
 * check happens before.
 */
export function apiRoutes(router: Router, deps: ApiDeps): void {
  for (const kind of KINDS) {
    const base = `/api/${kind}s`
    router.add('GET', base, () => list(kind, deps))
    router.add('GET', `${base}/:name`, (req) => one(refOf(kind, req), deps))
    router.add('PUT', `${base}/:name/percent`, (req) => setPercent(refOf(kind, req), req, deps))
    router.add('GET', `${base}/:name/history`, (req) => history(refOf(kind, req), req, deps))
    for (const command of MANUAL_COMMANDS) {
      router.add('POST', `${base}/:name/${command}`, (req) => manual(refOf(kind, req), command, req, deps))
    }
    router.add('GET', `${base}/:name/groups`, (req) => groups(refOf(kind, req), deps))
    router.add('PUT', `${base}/:name/groups/:group/users/:id`, (req) => member(refOf(kind, req), req, true, deps))
    router.add('DELETE', `${base}/:name/groups/:group/users/:id`, (req) => member(refOf(kind, req), req, false, deps))
  }
  router.add('POST', '/api/queues/:name/outcomes', (req) => outcomes(refOf('queue', req), req, deps))
}

/** A batch is capped so one POST cannot hold the admin plane for long. */
const MAX_OUTCOMES_PER_BATCH = 10_000
const OUTCOMES_EXAMPLE = '{"outcomes": [{"backend": "new", "ok": false, "jobId": "j1", "durationMs": 12}]}'

/** POST /api/queues/NAME/outcomes: workers' results, so analysis sees jobs the new system fails. → 202 */
async function outcomes(ref: TargetRef, req: AdminRequest, deps: ApiDeps): Promise<Reply> {
  findTarget(deps.targets(), ref)
  const body = await readJsonObject(req.raw, OUTCOMES_EXAMPLE)
  const list = body['outcomes']
  if (!Array.isArray(list) || list.length > MAX_OUTCOMES_PER_BATCH) {
    throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"outcomes" must be a list of at most ${MAX_OUTCOMES_PER_BATCH} results, for example ${OUTCOMES_EXAMPLE}`)
  }
  const parsed = list.map((o, i) => parseWorkerOutcome(o, i))
  deps.reportOutcomes?.(ref.name, parsed)
  return json(202, { accepted: parsed.length })
}

export type { WorkerOutcome }

function parseWorkerOutcome(o: unknown, i: number): WorkerOutcome {
  const v = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>
  const bad = (what: string) => new SluiceError('SLUICE_ERR_BAD_REQUEST', `outcomes[${i}]: ${what}, for example ${OUTCOMES_EXAMPLE}`)
  if (v['backend'] !== 'old' && v['backend'] !== 'new') throw bad('"backend" must be "old" or "new"')
  if (typeof v['ok'] !== 'boolean') throw bad('"ok" must be true or false')
  const d = v['durationMs']
  if (d !== undefined && (typeof d !== 'number' || !(d >= 0))) throw bad('"durationMs" must be a number of milliseconds')
  return { backend: v['backend'], ok: v['ok'], durationMs: d as number | undefined }
}

/** ROUTE / QUEUE with live percent, state and group sizes (file ids plus live edits). */
export function describe(
  ref: TargetRef, deps: ApiDeps,
): ReturnType<typeof describeTarget> & { goals?: Record<string, GoalReport> } {
  const cfg = findTarget(deps.targets(), ref)
  const described = describeTarget(
    ref.kind, cfg, deps.store.get(ref), deps.groupSizes(ref), deps.rolloutFacts?.(ref, cfg),
  )
  const shadow = ref.kind === 'route' ? deps.shadow?.(ref.name) : undefined
  const target = shadow === undefined ? described : { ...described, shadow: shadowSummary(shadow) }
  if (ref.kind !== 'route' || deps.goals === undefined) return target
  return { ...target, goals: deps.goals.report(ref.name, cfg.rollout?.analysis?.alpha ?? DEFAULT_GOAL_ALPHA) ?? {} }
}

/** POST .../pause|resume|promote|rollback, the body optional: {"reason": "..."}. */
async function manual(ref: TargetRef, command: ManualCommand, req: AdminRequest, deps: ApiDeps): Promise<Reply> {
  findTarget(deps.targets(), ref)
  const reason = parseReason(await readOptionalJsonObject(req))
  await deps.commands.run(ref, command, { actor: 'admin', reason })
  return json(200, describe(ref, deps))
}

/** GET .../groups: every group's side and effective members, sorted. */
function groups(ref: TargetRef, deps: ApiDeps): Reply {
  const cfg = findTarget(deps.targets(), ref)
  const edits = deps.store.snapshot().members.get(refKey(ref))
  const out = Object.fromEntries(cfg.groups.map((g) => [g.name, {
    backend: g.backend, users: [...effectiveMembers(g, edits?.get(g.name))].sort(),
  }]))
  return json(200, { groups: out })
}

/** PUT|DELETE .../groups/GROUP/users/ID: live membership, effective on the next request. */
async function member(ref: TargetRef, req: AdminRequest, present: boolean, deps: ApiDeps): Promise<Reply> {
  const group = req.params['group'] ?? ''
  const id = req.params['id'] ?? ''
  const reason = parseReason(await readOptionalJsonObject(req))
  await deps.commands.setMember(ref, group, id, present, { actor: 'admin', reason })
  const cfg = findTarget(deps.targets(), ref)
  const g = cfg.groups.find((x) => x.name === group)!
  const members = effectiveMembers(g, deps.store.snapshot().members.get(refKey(ref))?.get(group))
  return json(200, { group, id, member: members.has(id), members: members.size })
}

/** Command bodies are optional: no body (or an empty one) is `{}`. */
async function readOptionalJsonObject(req: AdminRequest): Promise<Record<string, unknown>> {
  const length = req.raw.headers['content-length']
  if (req.raw.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return {}
  return readJsonObject(req.raw, '{"reason": "why"}')
}

function parseReason(body: Record<string, unknown>): string | undefined {
  const reason = body['reason']
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH)) {
    throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"reason" must be a string of at most ${MAX_REASON_LENGTH} characters`)
  }
  return reason
}

function list(kind: Kind, deps: ApiDeps): Reply {
  const set = deps.targets()
  const cfgs = kind === 'route' ? set.routes : set.queues
  const items = cfgs.map((cfg) => describe({ kind, name: cfg.name }, deps))
  return json(200, { [`${kind}s`]: items })
}

function one(ref: TargetRef, deps: ApiDeps): Reply {
  return json(200, describe(ref, deps))
}

async function setPercent(ref: TargetRef, req: AdminRequest, deps: ApiDeps): Promise<Reply> {
  // Unknown names are a 404 before the body is judged: the more useful answer.
  findTarget(deps.targets(), ref)
  const input = parsePercentInput(await readJsonObject(req.raw, PERCENT_EXAMPLE))
  await deps.commands.setPercent(ref, input.percentBp, { actor: 'admin', reason: input.reason })
  return json(200, describe(ref, deps))
}

async function history(ref: TargetRef, req: AdminRequest, deps: ApiDeps): Promise<Reply> {
  findTarget(deps.targets(), ref)
  return json(200, historyJson(await deps.store.history(ref, limitOf(req))))
}

/** {"percent": 0–100 with at most two decimals, "reason"?: string} → basis points. */
export function parsePercentInput(body: Record<string, unknown>): { percentBp: number; reason: string | undefined } {
  const p = body['percent']
  if (typeof p !== 'number' || !Number.isFinite(p)) {
    throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"percent" must be a number from 0 to 100, for example ${PERCENT_EXAMPLE}`)
  }
  if (p < 0 || p > 100) throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"percent" ${p} is out of range: use a number from 0 to 100`)
  if (Math.abs(p * 100 - Math.round(p * 100)) > DECIMAL_EPSILON) {
    throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"percent" ${p} has more than two decimals: sluice's resolution is 0.01 %`)
  }
  return { percentBp: Math.round(p * 100), reason: parseReason(body) }
}

function refOf(kind: Kind, req: AdminRequest): TargetRef {
  return { kind, name: req.params['name'] ?? '' }
}

function limitOf(req: AdminRequest): number {
  const raw = req.query.get('limit')
  if (raw === null) return HISTORY_LIMIT
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"limit" must be a positive integer, not '${raw}'`)
  return Math.min(n, HISTORY_LIMIT)
}
