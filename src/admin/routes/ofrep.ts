import { createHash } from 'node:crypto'
import type { Side } from '../../config/types.js'
import type { Random } from '../../util/random.js'
import { readBody } from '../body.js'
import { parseEvaluationRequest, type EvaluationContext } from '../ofrep/context.js'
import { evaluateFlag, isSuccess, type FlagResult, type FlagRoute } from '../ofrep/evaluate.js'
import { json, type Reply } from '../reply.js'
import type { AdminRequest, Router } from '../router.js'

export interface OfrepDeps {
  /** The data plane's routes with their live views, as its next request sees them. */
  readonly routes: () => readonly FlagRoute[]
  /** The data plane's random source (core/decide.ts wants one; keyless contexts are refused before it matters). */
  readonly random: Random
  /** Counts one answered evaluation (sluice_flag_evaluations_total). */
  readonly count: (route: string, variant: Side) => void
}

/**
 * The OpenFeature Remote Evaluation Protocol (README "Feature flags (OpenFeature)"): one flag per
 * route, its value true when the caller gets the new side. The bearer token check happens before.
 */
export function ofrepRoutes(router: Router, deps: OfrepDeps): void {
  router.add('POST', '/ofrep/v1/evaluate/flags/:key', (req) => single(req, deps))
  router.add('POST', '/ofrep/v1/evaluate/flags', (req) => bulk(req, deps))
}

/** → 200 success, 404 FLAG_NOT_FOUND, 400 PARSE_ERROR | INVALID_CONTEXT | TARGETING_KEY_MISSING. */
async function single(req: AdminRequest, deps: OfrepDeps): Promise<Reply> {
  const key = req.params['key'] ?? ''
  const route = deps.routes().find((r) => r.name === key)
  if (route === undefined) {
    return json(404, { key, errorCode: 'FLAG_NOT_FOUND', errorDetails: `no route named '${key}': every route is a flag of its name` })
  }
  const parsed = parseEvaluationRequest(await readBody(req.raw))
  if (!parsed.ok) return json(400, { key, errorCode: parsed.errorCode, errorDetails: parsed.errorDetails })
  const result = evaluate(route, parsed.context, deps)
  return json(isSuccess(result) ? 200 : 400, result)
}

/**
 * → 200 `{"flags": [...]}` with an ETag, one entry per route (a failure entry for a flag that cannot
 * be evaluated for this context); 304 when If-None-Match names the same answer; 400 for a body or
 * context that is not one at all.
 */
async function bulk(req: AdminRequest, deps: OfrepDeps): Promise<Reply> {
  const parsed = parseEvaluationRequest(await readBody(req.raw))
  if (!parsed.ok) return json(400, { errorCode: parsed.errorCode, errorDetails: parsed.errorDetails })
  const flags = deps.routes().map((route) => evaluate(route, parsed.context, deps))
  const reply = json(200, { flags })
  const etag = entityTag(reply.body)
  if (matchesAny(req.raw.headers['if-none-match'], etag)) return { status: 304, body: '', headers: { etag } }
  return { ...reply, headers: { ...reply.headers, etag } }
}

function evaluate(route: FlagRoute, context: EvaluationContext, deps: OfrepDeps): FlagResult {
  const result = evaluateFlag(route, context, deps.random)
  if (isSuccess(result)) deps.count(route.name, result.variant)
  return result
}

/** A strong validator of the answer's bytes: the same flags for the same context give the same tag. */
export function entityTag(body: string): string {
  return `"${createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 27)}"`
}

/**
 * If-None-Match: `*`, or a comma-separated list of tags, weak (`W/"…"`) or strong, compared weakly
 * (RFC 9110 13.1.2).
 */
export function matchesAny(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((t) => {
    const tag = t.trim()
    return tag === '*' || (tag.startsWith('W/') ? tag.slice(2) : tag) === etag
  })
}
