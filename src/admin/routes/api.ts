import type { Commands } from '../../control/commands.js'
import { describeTarget, findTarget, historyJson, type TargetSet } from '../../control/status.js'
import type { Kind, TargetRef } from '../../core/types.js'
import { SluiceError } from '../../errors.js'
import { HISTORY_LIMIT, type StateStore } from '../../state/store.js'
import { readJsonObject } from '../body.js'
import { json, type Reply } from '../reply.js'
import type { AdminRequest, Router } from '../router.js'

export interface ApiDeps {
  readonly commands: Commands
  readonly store: StateStore
  readonly targets: () => TargetSet
}

const KINDS: readonly Kind[] = ['route', 'queue']
/** A reason is a note for the history, not a document. */
const MAX_REASON_LENGTH = 500
/** Tolerance for float noise when checking "at most two decimals" (0.29 * 100 = 28.999999999999996). */
const DECIMAL_EPSILON = 1e-6
const PERCENT_EXAMPLE = '{"percent": 5, "reason": "ramp up"}'

/** /api/routes… and /api/queues…: the JSON shapes of PRODUCT.md. The token check happens before. */
export function apiRoutes(router: Router, deps: ApiDeps): void {
  for (const kind of KINDS) {
    const base = `/api/${kind}s`
    router.add('GET', base, () => list(kind, deps))
    router.add('GET', `${base}/:name`, (req) => one(refOf(kind, req), deps))
    router.add('PUT', `${base}/:name/percent`, (req) => setPercent(refOf(kind, req), req, deps))
    router.add('GET', `${base}/:name/history`, (req) => history(refOf(kind, req), req, deps))
  }
}

function list(kind: Kind, deps: ApiDeps): Reply {
  const set = deps.targets()
  const cfgs = kind === 'route' ? set.routes : set.queues
  const items = cfgs.map((cfg) => describeTarget(kind, cfg, deps.store.get({ kind, name: cfg.name })))
  return json(200, { [`${kind}s`]: items })
}

function one(ref: TargetRef, deps: ApiDeps): Reply {
  const cfg = findTarget(deps.targets(), ref)
  return json(200, describeTarget(ref.kind, cfg, deps.store.get(ref)))
}

async function setPercent(ref: TargetRef, req: AdminRequest, deps: ApiDeps): Promise<Reply> {
  // Unknown names are a 404 before the body is judged: the more useful answer.
  const cfg = findTarget(deps.targets(), ref)
  const input = parsePercentInput(await readJsonObject(req.raw, PERCENT_EXAMPLE))
  const live = await deps.commands.setPercent(ref, input.percentBp, { actor: 'admin', reason: input.reason })
  return json(200, describeTarget(ref.kind, cfg, live))
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
  const reason = body['reason']
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH)) {
    throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"reason" must be a string of at most ${MAX_REASON_LENGTH} characters`)
  }
  return { percentBp: Math.round(p * 100), reason }
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
