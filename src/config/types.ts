/**
 * The normalised, validated, deep-frozen configuration. Everything downstream reads this shape,
 * never the raw YAML: durations are milliseconds, percents are basis points (percent × 100,
 * integers 0..10000), URLs are parsed origins, defaults are filled in.
 */

export type Side = 'old' | 'new'
export const SIDES: readonly Side[] = ['old', 'new']

export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** Where a bucketing key comes from. Values are used raw (not URL-decoded), like nginx's $arg_/$cookie_. */
export type KeySource =
  | { readonly kind: 'header'; readonly name: string } // name lower-cased
  | { readonly kind: 'cookie'; readonly name: string }
  | { readonly kind: 'query'; readonly name: string }
  | { readonly kind: 'ip' }
  | { readonly kind: 'json'; readonly field: string } // queues only: a field of the job body

export interface GroupConfig {
  readonly name: string
  readonly backend: Side
  /** The group's own key source; undefined = the route's sticky key. */
  readonly key: KeySource | undefined
  /** Ids from `users` plus the lines of `usersFile` (resolved relative to the config file). */
  readonly users: readonly string[]
  readonly usersFile: string | undefined
}

export interface TimeWindow {
  /** 0 = Sunday … 6 = Saturday. */
  readonly days: readonly number[]
  /** Minutes after local midnight; `to` < `from` crosses midnight. */
  readonly fromMin: number
  readonly toMin: number
}

export interface SchedulePolicy {
  readonly timezone: string
  readonly windows: readonly TimeWindow[]
  /** 'hold' keeps the percent outside windows; a number (basis points) lowers it to that. */
  readonly outside: 'hold' | { readonly percentBp: number }
}

export interface AnalysisPolicy {
  readonly windowMs: number
  readonly minRequests: number
  readonly maxErrorRate: number | undefined
  readonly maxP99Ms: number | undefined
  readonly maxErrorRateVsOld: number | undefined
  readonly maxP99VsOld: number | undefined
  /** Routes with shadow: the largest share of shadow calls that differ from old or fail. */
  readonly maxMismatchRate?: number | undefined
  readonly failureLimit: number
  /** The chance that a healthy new side is ever rolled back over a whole rollout. */
  readonly alpha: number
  /** Prometheus metric checks judged each window; absent (hand-built policies) = none. */
  readonly metrics?: readonly MetricCheckConfig[]
}

/** A Prometheus server's HTTP API, as a metric check queries it. */
export interface PrometheusServer {
  /** Base URL without a trailing slash: `${url}/api/v1/query` is the instant query endpoint. */
  readonly url: string
  /** Time limit per query; the controller also caps it at the analysis window. */
  readonly timeoutMs: number
}

/** One metric check (README "Metric checks from Prometheus"): at least one limit is set. */
export interface MetricCheckConfig {
  readonly name: string
  /** PromQL with `{{side}}` and `{{route}}` (routes) or `{{queue}}` (queues) still in it. */
  readonly query: string
  readonly max: number | undefined
  readonly min: number | undefined
  readonly maxVsOld: number | undefined
  readonly minVsOld: number | undefined
  /** The check's own `prometheus`, else the top-level one (validation guarantees one of them). */
  readonly prometheus: PrometheusServer
}

export interface RolloutPolicy {
  /** Basis points, strictly increasing. */
  readonly stepsBp: readonly number[]
  readonly intervalMs: number
  readonly schedule: SchedulePolicy | undefined
  readonly analysis: AnalysisPolicy | undefined
}

export interface Timeouts {
  readonly connectMs: number
  readonly headerMs: number
  readonly idleMs: number
}

export interface RouteMatch {
  /** Lower-cased host without port; undefined matches any host. */
  readonly host: string | undefined
  /** Always starts with '/'; '/' matches everything. */
  readonly pathPrefix: string
}

/** A business outcome judged per side (README "Judging business outcomes"). */
export interface GoalConfig {
  readonly name: string
  readonly better: 'higher' | 'lower'
  /** Relative loss (0-1) of new against old that fails the analysis; undefined = shown, never judged. */
  readonly maxLoss: number | undefined
}

/**
 * The Host header a side receives: the client's (`preserve`), the backend URL's host (`upstream`,
 * undici writes it per origin) or a fixed value. `x-forwarded-host` carries the client's either way.
 */
export type HostRule =
  | { readonly mode: 'preserve' }
  | { readonly mode: 'upstream' }
  | { readonly mode: 'fixed'; readonly value: string }

/** TLS to one https origin. PEM texts are read from the configured files at every (re)load. */
export interface UpstreamTls {
  readonly ca: string | undefined
  readonly cert: string | undefined
  readonly key: string | undefined
  /** Server name for SNI and the certificate check; undefined = the URL's hostname. */
  readonly servername: string | undefined
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3' | undefined
  readonly rejectUnauthorized: boolean
}

/** How one side is reached beyond its origins. */
export interface SideTransport {
  readonly host: HostRule
  /** Aligned with the side's origins; undefined = system CAs, server name from the URL. */
  readonly tls: readonly (UpstreamTls | undefined)[]
}

export interface RouteConfig {
  readonly name: string
  readonly match: RouteMatch
  /** Origins like 'http://10.0.0.1:3000' (no path); several are balanced. */
  readonly old: readonly string[]
  readonly new: readonly string[]
  /** Host rule and TLS per side; absent (hand-built configs) = the defaults for each origin's scheme. */
  readonly transport?: { readonly old: SideTransport; readonly new: SideTransport }
  readonly percentBp: number
  /** In order; the first present wins. `assignCookie` adds its cookie source if missing. */
  readonly sticky: readonly KeySource[]
  readonly assignCookie: string | undefined
  readonly groups: readonly GroupConfig[]
  readonly optIn: boolean
  readonly rollout: RolloutPolicy | undefined
  readonly goals: readonly GoalConfig[]
  readonly timeouts: Timeouts
  readonly exposeBackendHeader: boolean
  /** Shadow traffic to new (README "Shadow traffic"); absent = none. */
  readonly shadow?: ShadowConfig | undefined
}

/** A share of the requests old answers is also sent to new, whose answer is compared and dropped. */
export interface ShadowConfig {
  /** Of the requests answered by old (sticky by key). */
  readonly percentBp: number
  /** Upper-case. */
  readonly methods: readonly string[]
  readonly maxBodyBytes: number
  readonly maxConcurrent: number
  readonly compare: {
    /** Lower-case header names. */
    readonly headers: readonly string[]
    /** JSON paths as written (validated), like `$.items[*].id`. */
    readonly ignoreJson: readonly string[]
  }
}

export type QueueEndpointConfig =
  | { readonly type: 'redis-list'; readonly url: string; readonly key: string }
  | { readonly type: 'redis-stream'; readonly url: string; readonly key: string; readonly group: string | undefined }
  | { readonly type: 'bullmq'; readonly url: string; readonly queue: string; readonly prefix: string; readonly jobName: string }
  | { readonly type: 'http'; readonly url: string; readonly timeoutMs: number; readonly retries: number }

export interface QueueConfig {
  readonly name: string
  /** Where jobs come from; undefined for a queue fed only by the producer API (createJobRouter). */
  readonly source: QueueEndpointConfig | undefined
  readonly old: QueueEndpointConfig
  readonly new: QueueEndpointConfig
  readonly percentBp: number
  readonly sticky: readonly KeySource[]
  readonly groups: readonly GroupConfig[]
  readonly rollout: RolloutPolicy | undefined
}

export interface AdminConfig {
  readonly listen: ListenAddress
  /** Set when the admin plane speaks HTTPS (`admin.listen: { address, tls }`); absent = plain HTTP. */
  readonly tls?: ListenerTls | undefined
  /** From `admin.token`, else the SLUICE_ADMIN_TOKEN environment variable; undefined = no auth (loopback only). */
  readonly token: string | undefined
  /** Extra Host names the admin plane answers to (lower-case), beyond its listen address. */
  readonly allowedHosts: readonly string[]
}

export interface StateConfig {
  readonly store: 'memory' | 'redis'
  /** Absolute path of the state file for the memory store; undefined = live state is lost on restart. */
  readonly file: string | undefined
  readonly redis: string | undefined
  /** Prefix of every Redis key and channel (redis store). */
  readonly keyPrefix: string
  /** The rollout controller's lease: a dead leader is replaced within this time (redis store). */
  readonly leaseTtlMs: number
}

export interface LogConfig {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'
  readonly access: boolean
  /** 0..1: the share of requests that get an access-log line when `access` is on. */
  readonly accessSample: number
}

export interface ShutdownConfig {
  /** Time between readiness turning false and the listeners closing (load balancers notice). */
  readonly drainDelayMs: number
  /** Upper bound for in-flight requests to finish after the listeners closed. */
  readonly timeoutMs: number
}

/** A listener's own certificate, the data plane's or the admin plane's (PEM texts, read at every load). */
export interface ListenerTls {
  readonly cert: string
  readonly key: string
}

export interface Config {
  /** Absolute path of the file this came from ('<memory>' for embedded configs). */
  readonly file: string
  readonly listen: ListenAddress
  /** Set when the data plane speaks HTTPS (`listen: { address, tls }`); absent = plain HTTP. */
  readonly listenTls?: ListenerTls | undefined
  readonly admin: AdminConfig
  readonly state: StateConfig
  readonly routes: readonly RouteConfig[]
  readonly queues: readonly QueueConfig[]
  readonly notify: { readonly webhooks: readonly WebhookConfig[] }
  readonly log: LogConfig
  readonly shutdown: ShutdownConfig
}

/** What a webhook can hear about (README "Webhooks"). */
export const WEBHOOK_EVENTS = ['rolled_back', 'completed', 'paused', 'step'] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]
/** A plain URL entry hears these: what every webhook heard before events could be chosen. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = ['rolled_back', 'completed', 'paused']
export type WebhookFormat = 'json' | 'slack' | 'teams' | 'discord'

export interface WebhookConfig {
  readonly url: string
  readonly format: WebhookFormat
  readonly events: readonly WebhookEvent[]
  /** Extra request headers (an API key, a routing header); never logged. */
  readonly headers: Readonly<Record<string, string>>
  /** HMAC-SHA256 key of x-sluice-signature; no signature without it. */
  readonly secret?: string
}
