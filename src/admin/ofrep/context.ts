import type { KeySource } from '../../config/types.js'
import { formatKeySource } from '../../core/sticky.js'
import type { OptChoice } from '../../core/types.js'
import { keyOf, type Caller, type DecidingRoute } from '../../dataplane/http/decision.js'
import type { OptRoute } from '../../dataplane/http/opt-cookie.js'
import { isRecord } from '../../util/is-record.js'

/**
 * An OpenFeature evaluation context read as a caller of the data plane (README "Feature flags
 * (OpenFeature)"): `targetingKey` is the sticky key's value; an attribute named like a key source's
 * NAME supplies that source (`header:x-user-email` → `x-user-email`, `cookie:uid` → `uid`,
 * `query:u` → `u`, `ip` → `ip`); an attribute named like a route's opt cookie (`sluice-opt-NAME`)
 * with "in" or "out" is the user's own choice. Everything else in the context is ignored.
 */
export class EvaluationContext implements Caller {
  constructor(
    /** The sticky key's value, when the context has one. */
    readonly targetingKey: string | undefined,
    /** The context's attributes as sent (targetingKey excluded). */
    readonly attributes: Readonly<Record<string, unknown>>,
  ) {}

  read(source: KeySource): string | undefined {
    return scalar(this.attributes[attributeName(source)])
  }

  optFor(route: OptRoute): OptChoice {
    if (!route.view.optIn) return undefined
    const v = this.attributes[route.optCookie]
    return v === 'in' ? 'in' : v === 'out' ? 'out' : undefined
  }

  /** The sticky key for `route`: targetingKey, else the first of its sources an attribute supplies. */
  keyFor(route: DecidingRoute): string | undefined {
    return this.targetingKey ?? keyOf(route, this)
  }

  /**
   * Why this context cannot be evaluated for `route` (an attribute the route reads has a value that
   * is neither a string nor a number, or an opt attribute other than "in"/"out"); undefined when it can.
   * Checked per flag: an attribute only one route reads does not fail the others.
   */
  problemFor(route: DecidingRoute): string | undefined {
    const sources = [
      ...route.keySources,
      ...route.view.groups.flatMap((g) => (g.source === undefined ? [] : [g.source])),
    ]
    for (const s of sources) {
      const name = attributeName(s)
      const v = this.attributes[name]
      if (v !== undefined && v !== null && typeof v !== 'string' && !isFiniteNumber(v)) {
        return `attribute '${name}' must be a string or a number (it supplies ${formatKeySource(s)})`
      }
    }
    const opt = this.attributes[route.optCookie]
    if (route.view.optIn && opt !== undefined && opt !== 'in' && opt !== 'out') {
      return `attribute '${route.optCookie}' must be "in" or "out" (the user's own choice for this flag)`
    }
    return undefined
  }
}

/** The context attribute that supplies a key source: the source's NAME (`ip` for the client address). */
export function attributeName(source: KeySource): string {
  switch (source.kind) {
    case 'ip': return 'ip'
    case 'json': return source.field
    default: return source.name
  }
}

export type ParsedRequest =
  | { readonly ok: true; readonly context: EvaluationContext }
  | { readonly ok: false; readonly errorCode: 'PARSE_ERROR' | 'INVALID_CONTEXT'; readonly errorDetails: string }

const EXAMPLE = '{"context": {"targetingKey": "user-17"}}'

/**
 * An OFREP evaluation request body (`{"context": {...}}`): an empty body is an empty context; text
 * that is not a JSON object is PARSE_ERROR; a context that is not an object, or whose targetingKey
 * is not a string, is INVALID_CONTEXT.
 */
export function parseEvaluationRequest(body: string): ParsedRequest {
  if (body.trim() === '') return { ok: true, context: new EvaluationContext(undefined, {}) }
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch (err) {
    return { ok: false, errorCode: 'PARSE_ERROR', errorDetails: `the body is not valid JSON (${(err as Error).message}); send for example ${EXAMPLE}` }
  }
  if (!isRecord(value)) return { ok: false, errorCode: 'PARSE_ERROR', errorDetails: `the body must be a JSON object, for example ${EXAMPLE}` }
  const context = value['context'] ?? {}
  if (!isRecord(context)) return { ok: false, errorCode: 'INVALID_CONTEXT', errorDetails: `"context" must be an object, for example ${EXAMPLE}` }
  const { targetingKey, ...attributes } = context
  if (targetingKey !== undefined && typeof targetingKey !== 'string') {
    return { ok: false, errorCode: 'INVALID_CONTEXT', errorDetails: `"targetingKey" must be a string (the user's sticky key), for example ${EXAMPLE}` }
  }
  // An empty targetingKey is no key, as an empty header or cookie is on the data plane.
  return { ok: true, context: new EvaluationContext(targetingKey === '' ? undefined : targetingKey, attributes) }
}

/** A string (non-empty, as the data plane reads empty headers as absent) or a finite number, as text. */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v
  return isFiniteNumber(v) ? String(v) : undefined
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}
