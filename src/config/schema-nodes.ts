import { DURATION_PATTERN } from '../util/duration.js'

/**
 * The builders `schema.ts` writes the config's JSON Schema with: each returns its node as plain data
 * (what the shipped schema file serialises) typed as written, so raw.ts can derive the data's types.
 */

/** A JSON Schema node; plain data, so it serialises to the shipped file unchanged. */
export type SchemaNode = { readonly [keyword: string]: unknown }

/**
 * The helpers below return their node's literal type (`const` type parameters, no widening to
 * SchemaNode), so that raw.ts can derive the accepted data's types from `configSchema` itself.
 */
type Extra = Readonly<Record<string, unknown>>

export function obj<const P extends Readonly<Record<string, SchemaNode>>, const E extends Extra = Record<never, never>>(
  description: string, properties: P, extra: E = {} as E,
): {
  readonly type: 'object'; readonly description: string; readonly additionalProperties: false; readonly properties: P
} & NoInfer<E> {
  return { type: 'object', description, additionalProperties: false, properties, ...extra }
}

export function str<const E extends Extra = Record<never, never>>(
  description: string, extra: E = {} as E,
): { readonly type: 'string'; readonly description: string } & NoInfer<E> {
  return { type: 'string', description, ...extra }
}

type DurationNode = ReturnType<typeof str<{ readonly pattern: string; readonly examples: readonly string[] }>>

export function duration(description: string): DurationNode
export function duration<const D extends string>(description: string, def: D): DurationNode & { readonly default: D }
export function duration(description: string, def?: string): DurationNode {
  return str(description, { pattern: DURATION_PATTERN, examples: ['500ms', '30s', '10m', '1h'], ...(def ? { default: def } : {}) })
}

export function percent<const E extends Extra = Record<never, never>>(
  description: string, extra: E = {} as E,
): { readonly type: 'number'; readonly minimum: 0; readonly maximum: 100; readonly description: string } & NoInfer<E> {
  return { type: 'number', minimum: 0, maximum: 100, description: `${description} (0-100, at most two decimals)`, ...extra }
}

/** The blocks in `definitions` (spelled out: `keyof typeof definitions` would be circular). */
type DefinitionName =
  | 'backends' | 'group' | 'window' | 'schedule' | 'analysis'
  | 'metricCheck' | 'prometheus' | 'rollout' | 'source' | 'sink'

/** A reference into `definitions`: shared blocks appear once in the shipped file. */
export function ref<const N extends DefinitionName>(name: N): { readonly $ref: `#/definitions/${N}` } {
  return { $ref: `#/definitions/${name}` }
}

export function list<const I extends SchemaNode, const E extends Extra = Record<never, never>>(
  description: string, items: I, extra: E = {} as E,
): { readonly type: 'array'; readonly description: string; readonly items: I } & NoInfer<E> {
  return { type: 'array', description, items, ...extra }
}

type Branches = Readonly<Record<string, Readonly<Record<string, SchemaNode>>>>
type RequiredKeys = Readonly<Record<string, readonly string[]>>

const REQUIRED = { bullmq: ['queue'], http: [], amqp: ['queue'], nats: ['subject'] } as const satisfies RequiredKeys

/** The keys a branch requires besides `url`: its own (`key` by default), then the caller's extra ones. */
type RequiredOf<T extends string, X extends RequiredKeys> = readonly [
  ...(T extends keyof typeof REQUIRED ? (typeof REQUIRED)[T] : readonly ['key']),
  ...(T extends keyof X ? X[T] : readonly []),
]

/** One `if`/`then` of an endpoint, typed as written so raw.ts can derive each branch's data. */
type EndpointBranch<B extends Branches, X extends RequiredKeys> = {
  [T in keyof B & string]: {
    readonly if: { readonly properties: { readonly type: { readonly const: T } }; readonly required: readonly ['type'] }
    readonly then: {
      readonly properties: { readonly type: Record<never, never> } & B[T]
      readonly additionalProperties: false
      readonly required: readonly ['url', ...RequiredOf<T, X>]
    }
  }
}[keyof B & string]

/** One branch per endpoint `type`: if/then rather than oneOf, so an error names one branch only. */
export function endpoint<const B extends Branches, const X extends RequiredKeys = Record<never, never>>(
  description: string, branches: B, extraRequired: X = {} as X,
): {
  readonly type: 'object'
  readonly description: string
  readonly required: readonly ['type']
  readonly properties: { readonly type: { readonly enum: readonly (keyof B & string)[]; readonly description: string } }
  readonly allOf: readonly EndpointBranch<B, X>[]
} {
  const types = Object.keys(branches)
  return {
    type: 'object',
    description,
    required: ['type'],
    properties: { type: { enum: types, description: `One of ${types.join(', ')}` } },
    // The cast is the one place the types trust the code: Object.keys and map lose the literal types.
    allOf: types.map((t) => ({
      if: { properties: { type: { const: t } }, required: ['type'] },
      then: { properties: { type: {}, ...branches[t] }, additionalProperties: false, required: ['url', ...requiredOf(t, extraRequired)] },
    })) as unknown as readonly EndpointBranch<B, X>[],
  }
}

function requiredOf(type: string, extra: RequiredKeys): string[] {
  const own: RequiredKeys = REQUIRED
  return [...(own[type] ?? ['key']), ...(extra[type] ?? [])]
}
