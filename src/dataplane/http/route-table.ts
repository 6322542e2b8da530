import type { KeySource, RouteConfig } from '../../config/types.js'
import type { TargetView } from '../../core/types.js'
import type { RouteShadowStats } from '../../observe/shadow.js'
import { compileShadow, type CompiledShadow } from './shadow/compile.js'
import { optCookieName } from './opt-cookie.js'
import type { RouteBackends } from './upstream.js'

/** One route, precompiled for the hot path: everything a request needs, found with one lookup. */
export interface CompiledRoute {
  readonly name: string
  /** Lower-case host without port; undefined matches any host. */
  readonly host: string | undefined
  readonly prefix: string
  readonly view: TargetView
  /** The sticky sources, plus the assigned cookie when the config did not list it. */
  readonly keySources: readonly KeySource[]
  /** `NAME=` of the assigned id cookie, when `assignCookie` is set. */
  readonly cookiePrefix: string | undefined
  /** The opt-in/out cookie of this route (read only when the route allows opting in). */
  readonly optCookie: string
  readonly backends: RouteBackends
  readonly headersTimeout: number
  readonly bodyTimeout: number
  readonly idleMs: number
  readonly exposeBackendHeader: boolean
  /** The route has goals: its outcomes carry the key's fingerprint (exposure). */
  readonly hasGoals: boolean
  /** Shadow traffic to new (README "Shadow traffic"); undefined for routes without a shadow block. */
  readonly shadow: CompiledShadow | undefined
}

/** Routes in config order (first match wins); `anyHost` spares the host parsing when no route needs it. */
export interface RouteTable {
  readonly routes: readonly CompiledRoute[]
  readonly anyHost: boolean
}

export const EMPTY_TABLE: RouteTable = Object.freeze({ routes: Object.freeze([]), anyHost: false })

export function compileRoutes(
  routes: readonly RouteConfig[],
  views: ReadonlyMap<string, TargetView>,
  backends: ReadonlyMap<string, RouteBackends>,
  shadowStats: (route: string) => RouteShadowStats | undefined = () => undefined,
): RouteTable {
  const compiled = routes.map((r) => compileRoute(r, need(views, r.name, 'view'), need(backends, r.name, 'backends'), shadowStats(r.name)))
  return Object.freeze({ routes: Object.freeze(compiled), anyHost: compiled.some((r) => r.host !== undefined) })
}

function compileRoute(r: RouteConfig, view: TargetView, backends: RouteBackends, stats: RouteShadowStats | undefined): CompiledRoute {
  const shadow = r.shadow !== undefined && stats !== undefined && backends.shadow !== undefined
    ? compileShadow(r.shadow, stats, backends.shadow, r.timeouts)
    : undefined
  return Object.freeze({
    name: r.name,
    host: r.match.host,
    prefix: r.match.pathPrefix,
    view,
    keySources: withAssignedCookie(r.sticky, r.assignCookie),
    cookiePrefix: r.assignCookie === undefined ? undefined : `${r.assignCookie}=`,
    optCookie: optCookieName(r.name),
    backends,
    headersTimeout: r.timeouts.headerMs,
    bodyTimeout: r.timeouts.idleMs,
    idleMs: r.timeouts.idleMs,
    exposeBackendHeader: r.exposeBackendHeader,
    hasGoals: r.goals.length > 0,
    shadow,
  })
}

/** The normaliser already adds the assigned cookie to `sticky`; hand-built configs may not have. */
function withAssignedCookie(sticky: readonly KeySource[], cookie: string | undefined): readonly KeySource[] {
  if (cookie === undefined || sticky.some((s) => s.kind === 'cookie' && s.name === cookie)) return sticky
  return Object.freeze([...sticky, { kind: 'cookie', name: cookie }])
}

function need<T>(map: ReadonlyMap<string, T>, name: string, what: string): T {
  const v = map.get(name)
  if (v === undefined) throw new Error(`route '${name}' has no ${what}: setRoutes needs one for every route`)
  return v
}

/**
 * First route whose host (if any) and path prefix match. The prefix is segment-aware: `/checkout`
 * matches `/checkout`, `/checkout/x` and `/checkout?q`, never `/checkoutx`.
 */
export function findRoute(table: RouteTable, hostHeader: string | undefined, url: string): CompiledRoute | undefined {
  const host = table.anyHost ? hostOnly(hostHeader) : undefined
  const routes = table.routes
  for (let i = 0; i < routes.length; i++) {
    const r = routes[i]!
    if (r.host !== undefined && r.host !== host) continue
    if (prefixMatches(r.prefix, url)) return r
  }
  return undefined
}

export function prefixMatches(prefix: string, url: string): boolean {
  if (!url.startsWith(prefix)) return false
  if (url.length === prefix.length || prefix.charCodeAt(prefix.length - 1) === 0x2f) return true // '/'
  const next = url.charCodeAt(prefix.length)
  return next === 0x2f || next === 0x3f // '/' or '?'
}

/** 'Shop.Example.com:8080' → 'shop.example.com'; '[::1]:80' → '[::1]'. */
export function hostOnly(host: string | undefined): string | undefined {
  if (host === undefined) return undefined
  const end = host.charCodeAt(0) === 0x5b ? host.indexOf(']') + 1 : host.indexOf(':')
  return (end > 0 ? host.slice(0, end) : host).toLowerCase()
}
