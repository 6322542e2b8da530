import { resolve } from 'node:path'
import { backendList, backendUrl, sideTransport, type PemFiles } from './backends.js'
import { parseKeySource, withAssignedCookie } from './key-source.js'
import { SluiceError } from '../util/errors.js'
import { parseDuration } from '../util/duration.js'
import { parseSize } from '../util/size.js'
import type { Env } from './interpolate.js'
import { normalizeRollout } from './normalize-rollout.js'
import type { RawConfig, RawEndpoint, RawGroup, RawListen, RawPrometheus, RawQueue, RawRoute, RawShadow, RawWebhook } from './raw.js'
import { DEFAULT_WEBHOOK_EVENTS, type Config, type GroupConfig, type ListenAddress, type ListenerTls, type KeySource, type QueueConfig, type QueueEndpointConfig, type RouteConfig, type ShadowConfig, type WebhookConfig } from './types.js'
import { parseListen, toBasisPoints } from './values.js'

/** What normalisation needs besides the validated data. */
export interface NormalizeContext {
  /** Absolute path of the config file, or '<memory>'. */
  readonly file: string
  /** Directory that relative paths in the file (state.file, usersFile) are resolved against. */
  readonly baseDir: string
  readonly env: Env
  /**
   * Members of every group with a usersFile, by the group's object in `data`: its `users`, then the
   * file's ids, deduplicated and frozen (load.ts reads them without blocking the event loop).
   */
  readonly groupMembers: ReadonlyMap<object, readonly string[]>
  /** Backends' TLS files (ca, cert, key) by absolute path, read by load.ts; absent = none read. */
  readonly pemFiles?: PemFiles
}

/**
 * Validated, defaulted data → the deep-frozen `Config` everything downstream reads: durations in
 * ms, percents in basis points, origins parsed, key sources parsed, paths absolute. Call it only
 * with data that `validate` accepted; it throws SLUICE_ERR_CONFIG_INVALID otherwise.
 */
export function normalize(data: unknown, ctx: NormalizeContext): Config {
  const raw = data as RawConfig
  return deepFreeze({
    file: ctx.file,
    listen: listenAddress(raw.listen),
    listenTls: listenerTls(raw.listen, ctx),
    admin: {
      listen: listenAddress(raw.admin.listen),
      tls: listenerTls(raw.admin.listen, ctx),
      token: raw.admin.token ?? nonEmpty(ctx.env.SLUICE_ADMIN_TOKEN),
      allowedHosts: raw.admin.allowedHosts.map((h) => h.toLowerCase()),
    },
    state: {
      store: raw.state.store,
      file: raw.state.file === undefined ? undefined : resolve(ctx.baseDir, raw.state.file),
      redis: raw.state.redis,
      keyPrefix: raw.state.keyPrefix,
      leaseTtlMs: parseDuration(raw.state.leaseTtl),
    },
    routes: raw.routes.map((r) => normalizeRoute(r, ctx, raw.prometheus)),
    queues: raw.queues.map((q) => normalizeQueue(q, ctx, raw.prometheus)),
    notify: { webhooks: raw.notify.webhooks.map(webhook) },
    log: { ...raw.log },
    shutdown: { drainDelayMs: parseDuration(raw.shutdown.drainDelay), timeoutMs: parseDuration(raw.shutdown.timeout) },
  })
}

function normalizeRoute(raw: RawRoute, ctx: NormalizeContext, prometheus: RawPrometheus | undefined): RouteConfig {
  return {
    name: raw.name,
    match: { host: raw.match.host?.toLowerCase(), pathPrefix: raw.match.pathPrefix },
    old: origins(raw.old),
    new: origins(raw.new),
    transport: {
      old: sideTransport(raw.old, ctx.baseDir, ctx.pemFiles ?? new Map()),
      new: sideTransport(raw.new, ctx.baseDir, ctx.pemFiles ?? new Map()),
    },
    percentBp: toBasisPoints(raw.percent),
    sticky: withAssignedCookie(raw.sticky.map(keySource), raw.assignCookie),
    assignCookie: raw.assignCookie,
    groups: normalizeGroups(raw.groups, ctx),
    optIn: raw.optIn,
    rollout: normalizeRollout(raw.rollout, prometheus),
    goals: raw.goals.map((g) => ({ name: g.name, better: g.better, maxLoss: g.maxLoss })),
    timeouts: {
      connectMs: parseDuration(raw.timeouts.connect),
      headerMs: parseDuration(raw.timeouts.header),
      idleMs: parseDuration(raw.timeouts.idle),
    },
    exposeBackendHeader: raw.exposeBackendHeader,
    ...(raw.shadow === undefined ? {} : { shadow: normalizeShadow(raw.shadow) }),
  }
}

function normalizeShadow(raw: RawShadow): ShadowConfig {
  return {
    percentBp: toBasisPoints(raw.percent),
    methods: [...new Set(raw.methods.map((m) => m.toUpperCase()))],
    maxBodyBytes: parseSize(raw.maxBodyBytes),
    maxConcurrent: raw.maxConcurrent,
    compare: { headers: raw.compare.headers.map((h) => h.toLowerCase()), ignoreJson: [...raw.compare.ignoreJson] },
  }
}

function normalizeQueue(raw: RawQueue, ctx: NormalizeContext, prometheus: RawPrometheus | undefined): QueueConfig {
  return {
    name: raw.name,
    source: raw.source === undefined ? undefined : endpoint(raw.source),
    old: endpoint(raw.old),
    new: endpoint(raw.new),
    percentBp: toBasisPoints(raw.percent),
    sticky: raw.sticky.map(keySource),
    groups: normalizeGroups(raw.groups, ctx),
    rollout: normalizeRollout(raw.rollout, prometheus),
  }
}

function origins(value: RawRoute['old']): string[] {
  return backendList(value).map((b) => new URL(backendUrl(b)).origin)
}

function keySource(text: string): KeySource {
  const parsed = parseKeySource(text)
  if (typeof parsed === 'string') throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', parsed)
  return parsed
}

function normalizeGroups(groups: Readonly<Record<string, RawGroup>>, ctx: NormalizeContext): GroupConfig[] {
  return Object.entries(groups).map(([name, g]) => {
    const usersFile = g.usersFile === undefined ? undefined : resolve(ctx.baseDir, g.usersFile)
    return {
      name,
      backend: g.backend,
      key: g.key === undefined ? undefined : keySource(g.key),
      // Already frozen, so deepFreeze does not walk a million ids.
      users: ctx.groupMembers.get(g) ?? [...new Set(g.users)],
      usersFile,
    }
  })
}

function endpoint(raw: RawEndpoint): QueueEndpointConfig {
  switch (raw.type) {
    case 'redis-list': return { type: raw.type, url: raw.url, key: raw.key }
    case 'redis-stream': return { type: raw.type, url: raw.url, key: raw.key, group: raw.group }
    case 'bullmq': return { type: raw.type, url: raw.url, queue: raw.queue, prefix: raw.prefix, jobName: raw.jobName }
    case 'http': return { type: raw.type, url: raw.url, timeoutMs: parseDuration(raw.timeout), retries: raw.retries }
    case 'amqp': return { type: raw.type, url: raw.url, queue: raw.queue, prefetch: raw.prefetch }
    case 'nats': return { type: raw.type, url: raw.url, subject: raw.subject, stream: raw.stream, durable: raw.durable }
  }
}

function listenAddress(listen: RawListen): ListenAddress {
  return parseListen(typeof listen === 'string' ? listen : listen.address)
}

function listenerTls(listen: RawListen, ctx: NormalizeContext): ListenerTls | undefined {
  if (typeof listen === 'string' || listen.tls === undefined) return undefined
  const read = (f: string): string => ctx.pemFiles?.get(resolve(ctx.baseDir, f)) ?? ''
  return { cert: read(listen.tls.cert), key: read(listen.tls.key) }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}

/** Freeze an object graph, so no consumer can change the config another one reads. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/** A plain URL keeps its old meaning: sluice's JSON on rollback, completion and pause. */
function webhook(raw: RawWebhook): WebhookConfig {
  if (typeof raw === 'string') return { url: raw, format: 'json', events: DEFAULT_WEBHOOK_EVENTS, headers: {} }
  const base = { url: raw.url, format: raw.format ?? 'json', events: raw.events ?? DEFAULT_WEBHOOK_EVENTS, headers: { ...raw.headers } }
  return raw.secret === undefined ? base : { ...base, secret: raw.secret }
}
