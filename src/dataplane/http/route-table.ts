import type { KeySource, RouteConfig } from '../../config/types.js'
import { withAssignedCookie } from '../../config/key-source.js'
import type { TargetView } from '../../core/types.js'
import type { RouteShadowStats } from '../../observe/shadow.js'
import { compileShadow, type CompiledShadow } from './shadow/compile.js'
import { optCookieName } from './opt-cookie.js'
import type { RouteBackends } from './upstream.js'
import { HostTable } from './host-table.js'
import { NO_ROUTE, PrefixTree } from './prefix-tree.js'
import { TimeSlice } from '../../util/time-slice.js'

/** One route, precompiled for the hot path: everything a request needs, found with one lookup. */
export interface CompiledRoute {
  readonly name: string
  /** Lower-case host without port; undefined matches any host. */
  readonly host: string | undefined
  readonly prefix: string
  readonly view: TargetView
  /** The sticky sources, plus the assigned cookie when the config did not list it. */
  readonly keySources: readonly KeySource[]
  /** The name of the assigned id cookie, when `assignCookie` is set. */
  readonly assignCookie: string | undefined
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

/**
 * Routes in config order (first match wins), with an index that finds that first match without
 * trying them one by one: the exact host in a hash table, then the path in a prefix tree of that
 * host's routes and one of the routes for any host (README "How a request is routed").
 */
export interface RouteTable {
  readonly routes: readonly CompiledRoute[]
  readonly index: RouteIndex
  /**
   * Where each name's (first) route is in `routes`: the /_sluice endpoints name one per request, and
   * 10,000 are not walked for it; a live change finds the routes it recompiles (see `routeNamed`).
   */
  readonly positions: ReadonlyMap<string, number>
}

/** Built from the routes' hosts and prefixes alone, so a live change (a percent) reuses it. */
export interface RouteIndex {
  /** What the index was built from: the same array again (a frozen config) reuses it. */
  readonly source: readonly RouteConfig[]
  /** Prefix trees of the routes with a `match.host`, by host; undefined when no route has one. */
  readonly byHost: HostTable<PrefixTree> | undefined
  /** Prefix tree of the routes without a `match.host` (they match any host). */
  readonly withoutHost: PrefixTree
}

const EMPTY_INDEX: RouteIndex = Object.freeze({
  source: Object.freeze([]), byHost: undefined, withoutHost: new PrefixTree().seal(),
})

export const EMPTY_TABLE: RouteTable = Object.freeze({
  routes: Object.freeze([]), index: EMPTY_INDEX, positions: new Map(),
})

/** The route named `name` (the first, should a hand-built config repeat a name). */
export function routeNamed(table: RouteTable, name: string): CompiledRoute | undefined {
  const i = table.positions.get(name)
  return i === undefined ? undefined : table.routes[i]
}

export function compileRoutes(
  routes: readonly RouteConfig[],
  views: ReadonlyMap<string, TargetView>,
  backends: ReadonlyMap<string, RouteBackends>,
  shadowStats: (route: string) => RouteShadowStats | undefined = () => undefined,
  previous: RouteTable = EMPTY_TABLE,
): RouteTable {
  const compiled = routes.map((r) => compiledRoute(r, need(views, r.name, 'view'), need(backends, r.name, 'backends'), shadowStats(r.name)))
  return Object.freeze({
    routes: Object.freeze(compiled), index: indexFor(routes, previous), positions: positionsFor(routes, previous),
  })
}

/**
 * `compileRoutes`, in time slices with a turn of the event loop in between: a reload of 10,000
 * routes builds its next table while the current one serves, and the swap is one assignment.
 * `stats` is read once per route; the caller checks at the swap that the shadow figures it read
 * are still the current ones.
 */
export async function prepareTable(
  routes: readonly RouteConfig[],
  views: ReadonlyMap<string, TargetView>,
  backends: ReadonlyMap<string, RouteBackends>,
  shadowStats: (route: string) => RouteShadowStats | undefined,
  previous: RouteTable,
): Promise<RouteTable> {
  const slice = new TimeSlice()
  const compiled: CompiledRoute[] = []
  for (const r of routes) {
    await slice.pass()
    compiled.push(compiledRoute(r, need(views, r.name, 'view'), need(backends, r.name, 'backends'), shadowStats(r.name)))
  }
  return Object.freeze({
    routes: Object.freeze(compiled), index: indexFor(routes, previous), positions: positionsFor(routes, previous),
  })
}

function indexFor(routes: readonly RouteConfig[], previous: RouteTable): RouteIndex {
  if (previous.index.source === routes) return previous.index
  if (sameMatches(previous.index.source, routes)) return Object.freeze({ ...previous.index, source: routes })
  return indexRoutes(routes)
}

/** Names by position depend only on the route list: the same list (a live change) keeps them. */
function positionsFor(routes: readonly RouteConfig[], previous: RouteTable): ReadonlyMap<string, number> {
  if (previous.index.source === routes) return previous.positions
  const positions = new Map<string, number>()
  routes.forEach((r, i) => {
    if (!positions.has(r.name)) positions.set(r.name, i)
  })
  return positions
}

/**
 * `table` with the views of a few routes replaced (a live change: one percent of 10,000 routes), or
 * undefined when `table` was not compiled from `routes` (the caller then compiles it whole). The
 * other routes' compiled objects, the index and the positions are kept: the cost is the changed
 * routes and one copy of the array of compiled routes.
 */
export function withViews(
  table: RouteTable,
  routes: readonly RouteConfig[],
  changed: ReadonlyMap<string, TargetView>,
  shadowStats: (route: string) => RouteShadowStats | undefined,
): RouteTable | undefined {
  if (table.index.source !== routes || table.routes.length !== routes.length) return undefined
  const compiled = table.routes.slice()
  for (const [name, view] of changed) {
    const i = table.positions.get(name)
    if (i === undefined) continue
    const c = compiled[i]!
    if (view !== c.view) compiled[i] = compiledRoute(routes[i]!, view, c.backends, shadowStats(name))
  }
  return Object.freeze({ routes: Object.freeze(compiled), index: table.index, positions: table.positions })
}

/**
 * The index depends only on each route's host and prefix, in order: a reload that changes percents
 * (new route objects, the same matches) keeps it.
 */
function sameMatches(a: readonly RouteConfig[], b: readonly RouteConfig[]): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!.match
    const y = b[i]!.match
    if (x !== y && (x.host !== y.host || x.pathPrefix !== y.pathPrefix)) return false
  }
  return true
}

/** One pass in file order: each prefix tree keeps, per prefix, the first route that has it. */
export function indexRoutes(routes: readonly RouteConfig[]): RouteIndex {
  const withoutHost = new PrefixTree()
  const trees = new Map<string, PrefixTree>()
  routes.forEach((r, i) => {
    const host = r.match.host
    let tree = withoutHost
    if (host !== undefined) {
      tree = trees.get(host) ?? new PrefixTree()
      trees.set(host, tree)
    }
    tree.add(r.match.pathPrefix, i)
  })
  for (const tree of trees.values()) tree.seal()
  const byHost = trees.size === 0 ? undefined : new HostTable(trees)
  return Object.freeze({ source: routes, byHost, withoutHost: withoutHost.seal() })
}

interface CompiledEntry {
  readonly route: RouteConfig
  readonly backends: RouteBackends
  readonly stats: RouteShadowStats | undefined
  readonly compiled: CompiledRoute
}

/**
 * Compiled routes by view, reused while the route's config, view, backends and shadow figures are
 * the same objects: a live change of one route's percent recompiles that route, not all of them.
 */
const compiledCache = new WeakMap<TargetView, CompiledEntry>()

function compiledRoute(
  r: RouteConfig, view: TargetView, backends: RouteBackends, stats: RouteShadowStats | undefined,
): CompiledRoute {
  const hit = compiledCache.get(view)
  if (hit !== undefined && hit.route === r && hit.backends === backends && hit.stats === stats) return hit.compiled
  const compiled = compileRoute(r, view, backends, stats)
  compiledCache.set(view, { route: r, backends, stats, compiled })
  return compiled
}

function compileRoute(
  r: RouteConfig, view: TargetView, backends: RouteBackends, stats: RouteShadowStats | undefined,
): CompiledRoute {
  const shadow = r.shadow !== undefined && stats !== undefined && backends.shadow !== undefined
    ? compileShadow(r.shadow, stats, backends.shadow, r.timeouts)
    : undefined
  return Object.freeze({
    name: r.name,
    host: r.match.host,
    prefix: r.match.pathPrefix,
    view,
    keySources: Object.freeze(withAssignedCookie(r.sticky, r.assignCookie)),
    assignCookie: r.assignCookie,
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

function need<T>(map: ReadonlyMap<string, T>, name: string, what: string): T {
  const v = map.get(name)
  if (v === undefined) throw new Error(`route '${name}' has no ${what}: setRoutes needs one for every route`)
  return v
}

/**
 * The first route in file order whose host (if any) and path prefix match, without trying the
 * routes one by one and without allocating. The prefix is segment-aware: `/checkout` matches
 * `/checkout`, `/checkout/x` and `/checkout?q`, never `/checkoutx`.
 */
export function findRoute(table: RouteTable, hostHeader: string | undefined, url: string): CompiledRoute | undefined {
  const { byHost, withoutHost } = table.index
  let i = withoutHost.find(url)
  if (byHost !== undefined && hostHeader !== undefined) {
    const tree = byHost.find(hostHeader)
    if (tree !== undefined) {
      const j = tree.find(url)
      if (j < i) i = j
    }
  }
  return i === NO_ROUTE ? undefined : table.routes[i]
}
