import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { ROLLOUT_STATES } from '../core/types.js'

/**
 * The JSON Schema of `state.file` (format 1), field by field: what the memory store may load.
 * Anything it does not accept is moved aside rather than served, so a hand-edited or damaged file
 * can neither crash the start nor put a 9999 % or an unknown rollout state on the data plane.
 * Unknown extra fields are allowed: a file written by a newer sluice of the same format stays loadable.
 */
const basisPoints = { type: 'integer', minimum: 0, maximum: 10_000 } as const
/** Epoch ms; 8.64e15 is the largest date JavaScript can represent. */
const epochMs = { type: 'number', minimum: 0, maximum: 8.64e15 } as const
const rolloutState = { type: 'string', enum: ROLLOUT_STATES } as const
/** Store keys are `route/NAME` or `queue/NAME` (refKey). */
const targetKeys = { type: 'string', pattern: '^(route|queue)/.' } as const
const ids = { type: 'array', items: { type: 'string', minLength: 1 } } as const

const targetLive = {
  type: 'object',
  required: ['percentBp', 'state', 'step', 'filePercentBp', 'updatedAt', 'version'],
  properties: {
    percentBp: basisPoints,
    state: rolloutState,
    step: { type: 'integer', minimum: -1 },
    filePercentBp: basisPoints,
    updatedAt: epochMs,
    stepSince: epochMs,
    failures: { type: 'integer', minimum: 0 },
    resumeBp: basisPoints,
    version: { type: 'integer', minimum: 1 },
  },
} as const

const percentAndState = {
  type: 'object', required: ['percentBp', 'state'], properties: { percentBp: basisPoints, state: rolloutState },
} as const

const historyEvent = {
  type: 'object',
  required: ['at', 'actor', 'from', 'to'],
  properties: {
    at: epochMs,
    actor: { type: 'string', enum: ['admin', 'config', 'schedule', 'analysis'] },
    reason: { type: 'string' },
    from: percentAndState,
    to: percentAndState,
  },
} as const

const groupEdits = {
  type: 'object', required: ['added', 'removed'], properties: { added: ids, removed: ids },
} as const

export const stateFileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['format', 'savedAt', 'targets', 'history'],
  properties: {
    format: { const: 1 },
    savedAt: epochMs,
    targets: { type: 'object', propertyNames: targetKeys, additionalProperties: targetLive },
    history: {
      // A list longer than the store keeps is trimmed on load (oldest first), not refused.
      type: 'object', propertyNames: targetKeys, additionalProperties: { type: 'array', items: historyEvent },
    },
    members: {
      type: 'object', propertyNames: targetKeys,
      additionalProperties: { type: 'object', additionalProperties: groupEdits },
    },
  },
} as const

let compiled: ValidateFunction | undefined

/** Compiled on first use: a sluice without `state.file` never pays for it. */
function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, strict: true, strictNumbers: true }).compile(stateFileSchema)
  return compiled
}

/** How many problems a report names; a badly damaged file would otherwise make one huge log line. */
const MAX_REPORTED = 5

/**
 * undefined when `data` is a valid state file; otherwise what is wrong, e.g.
 * `/targets/route~1app/percentBp must be <= 10000`.
 */
export function stateFileProblems(data: unknown): string | undefined {
  const check = validator()
  if (check(data)) return undefined
  // A bad key reports twice (its pattern, then "property name must be valid"): keep the first.
  const errors = (check.errors ?? []).filter((e) => e.keyword !== 'propertyNames')
  const shown = errors.slice(0, MAX_REPORTED).map(describe)
  if (errors.length > MAX_REPORTED) shown.push(`and ${errors.length - MAX_REPORTED} more`)
  return shown.join('; ')
}

function describe(e: ErrorObject): string {
  const at = e.instancePath === '' ? '(top level)' : e.instancePath
  const key = e.propertyName === undefined ? '' : ` key '${e.propertyName}'`
  const allowed = e.keyword === 'enum' ? `: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}` : ''
  return `${at}${key} ${e.message ?? e.keyword}${allowed}`
}
