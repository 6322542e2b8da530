import type { TargetView } from '../../core/types.js'
import { SluiceError } from '../../util/errors.js'
import { isRecord } from '../../util/is-record.js'
import type { GoalCounter, GoalEvent } from '../../observe/goals.js'
import { readJsonObject } from '../body.js'
import { json, type Reply } from '../reply.js'
import type { AdminRequest, Router } from '../router.js'

export interface GoalDeps {
  readonly goals: GoalCounter
  /** The route's live view (the side each key gets now); undefined for an unknown route. */
  readonly view: (route: string) => TargetView | undefined
}

const EVENTS_EXAMPLE = '{"events": [{"key": "user-17", "value": 59.90}]}'
/** Keys are sticky ids, not documents. */
const MAX_KEY_LENGTH = 1024

/** POST /api/routes/NAME/goals/GOAL: the application's events (README "Judging business outcomes"). */
export function goalRoutes(router: Router, deps: GoalDeps): void {
  router.add('POST', '/api/routes/:name/goals/:goal', (req) => receive(req, deps))
}

/** → 202 {"accepted": N, "ignored": M}; unknown route or goal → 404 before the body is read. */
async function receive(req: AdminRequest, deps: GoalDeps): Promise<Reply> {
  const route = req.params['name'] ?? ''
  const goal = req.params['goal'] ?? ''
  const view = deps.view(route)
  if (view === undefined || !deps.goals.hasGoal(route, goal)) {
    throw new SluiceError('SLUICE_ERR_NOT_FOUND', `route '${route}' does not exist or has no goal '${goal}'`)
  }
  const body = await readJsonObject(req.raw, EVENTS_EXAMPLE)
  const list = body['events']
  if (!Array.isArray(list)) throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"events" must be a list, for example ${EVENTS_EXAMPLE}`)
  // Every event is checked before any is counted: a bad batch changes nothing and can be resent whole.
  const events = list.map(parseEvent)
  return json(202, deps.goals.receive(route, goal, view, events))
}

export function parseEvent(e: unknown, i: number): GoalEvent {
  const v: Record<string, unknown> = isRecord(e) ? e : {}
  const bad = (what: string) => new SluiceError('SLUICE_ERR_BAD_REQUEST', `events[${i}]: ${what}, for example ${EVENTS_EXAMPLE}`)
  const key = v['key']
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) throw bad(`"key" must be the user's sticky key, 1 to ${MAX_KEY_LENGTH} characters`)
  const value = v['value'] ?? 0
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('"value" must be a number when given')
  return { key, value }
}
