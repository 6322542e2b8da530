import type { LogConfig, Side, WebhookEvent, WebhookFormat } from './types.js'

/**
 * The YAML file's shape once the schema has accepted it and filled in its defaults: what
 * normalize.ts turns into `Config`. Keys with a schema default are not optional here.
 */

export interface RawConfig {
  readonly listen: RawListen
  readonly admin: { readonly listen: RawListen; readonly token?: string; readonly allowedHosts: readonly string[] }
  readonly state: { readonly store: 'memory' | 'redis'; readonly file?: string; readonly redis?: string; readonly keyPrefix: string; readonly leaseTtl: string }
  readonly routes: readonly RawRoute[]
  readonly queues: readonly RawQueue[]
  readonly notify: { readonly webhooks: readonly RawWebhook[] }
  readonly prometheus?: RawPrometheus
  readonly log: { readonly level: LogConfig['level']; readonly access: boolean; readonly accessSample: number }
  readonly shutdown: { readonly drainDelay: string; readonly timeout: string }
}

/** A HOST:PORT, or an address with the listener's TLS certificate (data plane and admin plane alike). */
export type RawListen = string | { readonly address: string; readonly tls?: { readonly cert: string; readonly key: string } }

export interface RawUpstreamTls {
  readonly ca?: string
  readonly cert?: string
  readonly key?: string
  readonly servername?: string
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3'
  readonly rejectUnauthorized?: boolean
}

/** One backend: a URL, or an object with its Host rule and TLS settings. */
export type RawBackend = string | { readonly url: string; readonly host?: string; readonly tls?: RawUpstreamTls }
export type RawBackends = RawBackend | readonly RawBackend[]

export interface RawGroup {
  readonly backend: Side
  readonly key?: string
  readonly users: readonly string[]
  readonly usersFile?: string
}

export interface RawWindow {
  readonly days: readonly string[]
  readonly from: string
  readonly to: string
}

export interface RawSchedule {
  readonly timezone: string
  readonly windows: readonly RawWindow[]
  readonly outside: 'hold' | number
}

export interface RawAnalysis {
  readonly window: string
  readonly minRequests: number
  readonly maxErrorRate?: number
  readonly maxP99Ms?: number
  readonly maxErrorRateVsOld?: number
  readonly maxP99VsOld?: number
  readonly maxMismatchRate?: number
  readonly failureLimit: number
  readonly alpha: number
  readonly metrics: readonly RawMetricCheck[]
}

export interface RawPrometheus {
  readonly url: string
  readonly timeout?: string
}

export interface RawMetricCheck {
  readonly name: string
  readonly query: string
  readonly max?: number
  readonly min?: number
  readonly maxVsOld?: number
  readonly minVsOld?: number
  readonly prometheus?: RawPrometheus
}

export interface RawRollout {
  readonly steps: readonly number[]
  readonly interval: string
  readonly schedule?: RawSchedule
  readonly analysis?: RawAnalysis
}

/** What routes and queues share. */
export interface RawTarget {
  readonly name: string
  readonly percent: number
  readonly sticky: readonly string[]
  readonly groups: Readonly<Record<string, RawGroup>>
  readonly rollout?: RawRollout
}

export interface RawGoal {
  readonly name: string
  readonly better: 'higher' | 'lower'
  readonly maxLoss?: number
}

export interface RawRoute extends RawTarget {
  readonly match: { readonly host?: string; readonly pathPrefix: string }
  readonly old: RawBackends
  readonly new: RawBackends
  readonly assignCookie?: string
  readonly optIn: boolean
  readonly goals: readonly RawGoal[]
  readonly timeouts: { readonly connect: string; readonly header: string; readonly idle: string }
  readonly exposeBackendHeader: boolean
  readonly shadow?: RawShadow
}

export interface RawShadow {
  readonly percent: number
  readonly methods: readonly string[]
  readonly maxBodyBytes: number | string
  readonly maxConcurrent: number
  readonly compare: { readonly headers: readonly string[]; readonly ignoreJson: readonly string[] }
}

export type RawEndpoint =
  | { readonly type: 'redis-list'; readonly url: string; readonly key: string }
  | { readonly type: 'redis-stream'; readonly url: string; readonly key: string; readonly group?: string }
  | { readonly type: 'bullmq'; readonly url: string; readonly queue: string; readonly prefix: string; readonly jobName: string }
  | { readonly type: 'http'; readonly url: string; readonly timeout: string; readonly retries: number }

export interface RawQueue extends RawTarget {
  /** Absent for a queue fed only by the in-process producer API (createJobRouter). */
  readonly source?: RawEndpoint
  readonly old: RawEndpoint
  readonly new: RawEndpoint
}

/** A webhook as written: a URL, or an object whose omitted keys take the defaults in normalize.ts. */
export type RawWebhook = string | {
  readonly url: string
  readonly format?: WebhookFormat
  readonly events?: readonly WebhookEvent[]
  readonly headers?: Readonly<Record<string, string>>
  readonly secret?: string
}
