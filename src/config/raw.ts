import type { FromSchema } from 'json-schema-to-ts'
import type { configSchema } from './schema.js'

/**
 * The YAML file's shape once the schema has accepted it and filled in its defaults: what
 * normalize.ts turns into `Config`. Derived from `configSchema` (json-schema-to-ts), so a key added
 * to the schema appears here with no second edit; keys with a schema default are not optional
 * (FromSchema's default, matching Ajv's `useDefaults`).
 */

type Schema = typeof configSchema

/** One object type instead of an intersection, so editors show the keys. */
type Flat<T> = { [K in keyof T]: T[K] }

/** The file as FromSchema reads it; its endpoints are refined below. */
type FromConfigSchema = FromSchema<Schema>

/**
 * The endpoints stay written out: their schema is an `allOf` of `if`/`then` per `type`, which
 * FromSchema reads loosely (`{ type, [key]: unknown }`) and reading each branch generically runs
 * into TypeScript's instantiation depth limit. test/unit/config/raw-types.test.ts holds them to the
 * schema at compile time: the same `type` lists, and for each type exactly the keys of its source
 * and sink branches (a key added to a branch and not here fails `npm run typecheck`).
 */
export type RawEndpoint =
  | { readonly type: 'redis-list'; readonly url: string; readonly key: string }
  | { readonly type: 'redis-stream'; readonly url: string; readonly key: string; readonly group?: string }
  | { readonly type: 'bullmq'; readonly url: string; readonly queue: string; readonly prefix: string; readonly jobName: string }
  | { readonly type: 'http'; readonly url: string; readonly timeout: string; readonly retries: number }
  | { readonly type: 'amqp'; readonly url: string; readonly queue: string; readonly prefetch?: number }
  | { readonly type: 'nats'; readonly url: string; readonly subject: string; readonly stream?: string; readonly durable?: string }

export type RawQueue = Flat<Omit<FromConfigSchema['queues'][number], 'source' | 'old' | 'new'> & {
  /** Absent for a queue fed only by the in-process producer API (createJobRouter). */
  readonly source?: RawEndpoint
  readonly old: RawEndpoint
  readonly new: RawEndpoint
}>

export type RawConfig = Flat<Omit<FromConfigSchema, 'queues'> & { readonly queues: readonly RawQueue[] }>

/** A HOST:PORT, or an address with the listener's TLS certificate (data plane and admin plane alike). */
export type RawListen = RawConfig['listen']

export type RawRoute = RawConfig['routes'][number]
export type RawShadow = NonNullable<RawRoute['shadow']>
export type RawGoal = RawRoute['goals'][number]

/** One backend or a non-empty list of them. */
export type RawBackends = RawRoute['old']
/** One backend: a URL, or an object with its Host rule and TLS settings. */
export type RawBackend = Extract<RawBackends, readonly unknown[]>[number]
export type RawUpstreamTls = NonNullable<Exclude<RawBackend, string>['tls']>

/** What routes and queues share: a queue's keys but its endpoints. */
export type RawTarget = Omit<RawQueue, 'source' | 'old' | 'new'>
export type RawGroup = RawTarget['groups'][string]
export type RawRollout = NonNullable<RawTarget['rollout']>
export type RawSchedule = NonNullable<RawRollout['schedule']>
export type RawWindow = RawSchedule['windows'][number]
export type RawAnalysis = NonNullable<RawRollout['analysis']>
export type RawMetricCheck = RawAnalysis['metrics'][number]
export type RawPrometheus = NonNullable<RawConfig['prometheus']>

/** A webhook as written: a URL, or an object (Ajv has filled in its `format`; normalize.ts the rest). */
export type RawWebhook = RawConfig['notify']['webhooks'][number]
