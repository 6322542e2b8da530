import type { ErrorObject } from 'ajv'
import { parseDuration } from '../util/duration.js'
import { PATTERNS } from './schema.js'
import type { Finding, KeyPath } from './problem.js'

/**
 * Ajv's errors rewritten for people: one finding per error, located at the key it is about, in
 * words an operator understands ("unknown key (allowed: …)", "must be a list, not a number").
 * Errors that only summarise others (`if`, `propertyNames`) are dropped.
 */
export function findingFromAjv(e: ErrorObject): Finding | undefined {
  const path = pointerToPath(e.instancePath)
  const params = e.params as Record<string, unknown>
  const handler = HANDLERS[e.keyword]
  if (handler === null) return undefined
  // An error inside `propertyNames` is about a key (a group's name), not a value.
  if (e.propertyName !== undefined) return { path: [...path, e.propertyName], at: 'key', message: patternMessage(String(params.pattern), e.propertyName) }
  return handler ? handler(e, path, params) : { path, message: e.message ?? `fails ${e.keyword}` }
}

type Handler = (e: ErrorObject, path: KeyPath, params: Record<string, unknown>) => Finding

const HANDLERS: Readonly<Record<string, Handler | null>> = {
  if: null,
  propertyNames: null,
  additionalProperties: (e, path, params) => ({
    path: [...path, String(params.additionalProperty)],
    at: 'key',
    message: `unknown key (allowed: ${allowedKeys(e.parentSchema).join(', ')})`,
  }),
  required: (e, path, params) => ({ path: [...path, String(params.missingProperty)], at: 'key', message: requiredMessage(e.parentSchema, String(params.missingProperty)) }),
  type: (e, path, params) => ({ path, message: `${path.length === 0 ? 'the file ' : ''}${typeMessage(params.type, e.data)}` }),
  enum: (e, path, params) => ({ path, message: enumMessage(path, e.data, params.allowedValues) }),
  pattern: (e, path, params) => ({ path, message: patternMessage(String(params.pattern), e.data) }),
  minimum: (e, path, params) => ({ path, message: rangeMessage(path, e.data, 'at least', params.limit) }),
  maximum: (e, path, params) => ({ path, message: rangeMessage(path, e.data, 'at most', params.limit) }),
  exclusiveMinimum: (e, path, params) => ({ path, message: rangeMessage(path, e.data, 'more than', params.limit) }),
  // Every list with a minimum in the schema needs one item.
  minItems: (_e, path) => ({ path, message: 'must not be an empty list' }),
  minLength: (_e, path) => ({ path, message: 'must not be empty' }),
  uniqueItems: (e, path, params) => ({ path: [...path, Number(params.i)], message: `${show(itemOf(e.data, params.i))} is listed twice` }),
}

/** `/routes/0/old` → `['routes', '0', 'old']` (RFC 6901 unescaping). */
function pointerToPath(pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function requiredMessage(schema: unknown, key: string): string {
  const allowed = (schema as { properties?: Record<string, { enum?: unknown[] }> } | undefined)?.properties?.[key]?.enum
  return allowed ? `is required but missing (one of: ${allowed.join(', ')})` : 'is required but missing'
}

function allowedKeys(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties
  return Object.keys(props ?? {})
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  null: 'empty',
}

function typeMessage(expected: unknown, data: unknown): string {
  const types = String(expected).split(',')
  const wanted = types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')
  if (types.includes('integer') && typeof data === 'number') return `must be ${wanted}, not ${data}`
  const quote = types.includes('string') && (typeof data === 'number' || typeof data === 'boolean') ? `; quote it: '${String(data)}'` : ''
  return `must be ${wanted}, not ${describe(data)}${quote}`
}

/** How a value looks to the user: `a number (5)`, `a list`, `empty`. */
function describe(data: unknown): string {
  if (data === null || data === undefined) return 'empty'
  if (Array.isArray(data)) return 'a list'
  if (typeof data === 'object') return 'a mapping'
  if (typeof data === 'string') return `a string (${show(data)})`
  if (typeof data === 'number') return `a number (${data})`
  return `${TYPE_WORDS[typeof data] ?? typeof data} (${String(data)})`
}

function enumMessage(path: KeyPath, data: unknown, allowed: unknown): string {
  const last = path[path.length - 1]
  const noun = typeof last === 'string' && !/^[0-9]+$/.test(last) ? last : 'value'
  const list = (Array.isArray(allowed) ? allowed : []).map(String).join(', ')
  return `unknown ${noun} ${show(data)} (expected ${list})`
}

function rangeMessage(path: KeyPath, data: unknown, bound: string, limit: unknown): string {
  if (isPercentPath(path)) return `${String(data)} is not a percent: use a number from 0 to 100 (at most two decimals)`
  return `must be ${bound} ${String(limit)}, not ${String(data)}`
}

/** Where the schema uses `percent(...)`: a route's or queue's percent, rollout steps, schedule.outside. */
function isPercentPath(path: KeyPath): boolean {
  const last = String(path[path.length - 1])
  const parent = String(path[path.length - 2])
  return last === 'percent' || last === 'outside' || parent === 'steps'
}

const PATTERN_MESSAGES: Readonly<Record<string, (v: string) => string>> = {
  [PATTERNS.duration]: durationMessage,
  [PATTERNS.name]: (v) => `${show(v)} is not a valid name: use lower-case letters, digits and '-'`,
  [PATTERNS.groupName]: (v) => `${show(v)} is not a valid group name: use a letter, then letters, digits, '_' or '-'`,
  [PATTERNS.listen]: (v) => `${show(v)} is not a listen address: use HOST:PORT, like 127.0.0.1:8080 or [::1]:8080`,
  [PATTERNS.host]: (v) => `${show(v)} is not a host name: give the host alone, without scheme, port or path, like shop.example.com`,
  [PATTERNS.hostHeader]: (v) => `${show(v)} is not a Host value: use preserve, upstream, or a host[:port] like api.vendor.example`,
  [PATTERNS.pathPrefix]: (v) => `${show(v)} is not a path prefix: it must start with '/'`,
  [PATTERNS.cookieName]: (v) => `${show(v)} is not a valid cookie name`,
  [PATTERNS.timeFrom]: (v) => `${show(v)} is not a time: use HH:MM, 24-hour, like 09:00`,
  [PATTERNS.timeTo]: (v) => `${show(v)} is not a time: use HH:MM, 24-hour, like 17:00 (24:00 for midnight)`,
  [PATTERNS.hold]: (v) => `${show(v)} is not allowed: use 'hold' or a percent from 0 to 100`,
  [PATTERNS.natsSubject]: (v) => `${show(v)} is not a NATS subject to publish to: no spaces, no wildcards (* or >)`,
  [PATTERNS.natsName]: (v) => `${show(v)} is not a JetStream name: no spaces, dots or wildcards`,
}

function patternMessage(pattern: string, data: unknown): string {
  const text = String(data)
  return PATTERN_MESSAGES[pattern]?.(text) ?? `${show(text)} does not match ${pattern}`
}

/** The same words as parseDuration's error, so a bad duration reads the same everywhere. */
function durationMessage(text: string): string {
  try {
    parseDuration(text)
    return `${show(text)} is not a duration`
  } catch (err) {
    return (err as Error).message
  }
}

/** A value quoted for a message: `'5 sec'`. */
function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v)
}

function itemOf(data: unknown, index: unknown): unknown {
  return Array.isArray(data) ? data[Number(index)] : undefined
}
