import type { GroupConfig, QueueConfig, RouteConfig } from '../config/types.js'
import { thresholdFor } from '../core/bucket.js'
import { groupDecision } from '../core/decide.js'
import type { Decision, GroupView, Kind, TargetView } from '../core/types.js'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { stringMap, type ShardedMap } from '../util/sharded-map.js'
import { TimeSlice } from '../util/time-slice.js'
import { refKey, type GroupEdits, type LiveSnapshot, type TargetLive } from './store.js'

/**
 * Every target's decision view, by name. Each view is immutable; the table is replaced whole by a
 * reload, and its owner (app/live-views.ts) sets a live change's few entries in place.
 */
export interface ViewTable {
  readonly routes: ReadonlyMap<string, TargetView>
  readonly queues: ReadonlyMap<string, TargetView>
}

/** A table just built: whoever built it owns its maps and may set entries in place. */
export interface BuiltViewTable extends ViewTable {
  readonly routes: Map<string, TargetView>
  readonly queues: Map<string, TargetView>
}

export function buildViews(
  routes: readonly RouteConfig[], queues: readonly QueueConfig[], live: LiveSnapshot,
): BuiltViewTable {
  const r = new Map<string, TargetView>()
  for (const cfg of routes) r.set(cfg.name, buildView('route', cfg, live))
  const q = new Map<string, TargetView>()
  for (const cfg of queues) q.set(cfg.name, buildView('queue', cfg, live))
  return { routes: r, queues: q }
}

/**
 * `buildViews` in time slices, with a turn of the event loop in between: the views
 * land in the cache, so `buildViews` with the same config and snapshot afterwards is quick. For a
 * reload, whose every target may have a new config or new live state.
 */
export async function buildViewsSliced(
  routes: readonly RouteConfig[], queues: readonly QueueConfig[], live: LiveSnapshot,
): Promise<BuiltViewTable> {
  const r = new Map<string, TargetView>()
  const q = new Map<string, TargetView>()
  const slice = new TimeSlice()
  for (const [kind, list, out] of [['route', routes, r], ['queue', queues, q]] as const) {
    for (const cfg of list) {
      await slice.pass()
      out.set(cfg.name, buildView(kind, cfg, live))
    }
  }
  return { routes: r, queues: q }
}

/**
 * Views by target config, reused while the config, its live state and its member edits are the
 * same objects (the store replaces them, never changes them): a percent change of one of 10,000
 * routes builds one view, and the data plane recompiles only that route.
 */
const viewCache = new WeakMap<
  RouteConfig | QueueConfig,
  { readonly live: TargetLive | undefined; readonly edits: unknown; readonly view: TargetView }
>()

/** One target's view (cached as above): a live change rebuilds only the targets it names. */
export function buildView(kind: Kind, cfg: RouteConfig | QueueConfig, snapshot: LiveSnapshot): TargetView {
  const key = refKey({ kind, name: cfg.name })
  const live: TargetLive | undefined = snapshot.targets.get(key)
  const edits = snapshot.members.get(key)
  const hit = viewCache.get(cfg)
  if (hit !== undefined && hit.live === live && hit.edits === edits) return hit.view
  const view = newView(kind, cfg, live, edits)
  viewCache.set(cfg, { live, edits, view })
  return view
}

function newView(
  kind: Kind,
  cfg: RouteConfig | QueueConfig,
  live: TargetLive | undefined,
  edits: ReadonlyMap<string, GroupEdits> | undefined,
): TargetView {
  const percentBp = live?.percentBp ?? cfg.percentBp
  return Object.freeze({
    kind,
    name: cfg.name,
    percentBp,
    threshold: thresholdFor(percentBp),
    hashPrefix: `${cfg.name}:`,
    keySources: cfg.sticky,
    groups: Object.freeze(cfg.groups.map((g) => buildGroup(g, edits?.get(g.name)))),
    optIn: 'optIn' in cfg ? cfg.optIn : false,
  })
}

function buildGroup(g: GroupConfig, edits: GroupEdits | undefined): GroupView {
  const members = cachedMembers(g, edits) ?? cacheMembers(g, edits, memberMap(g, edits))
  return Object.freeze({ name: g.name, source: g.key, members })
}

/**
 * Member maps by group config, reused while the group's config and its live edits are the same
 * objects (both are replaced, never changed, on any change): a percent change does not rebuild a
 * group of a million ids, and a reload can build its maps ahead with `prepareViews`.
 */
const memberMaps = new WeakMap<
  GroupConfig,
  { readonly edits: GroupEdits | undefined; readonly members: ReadonlyMap<string, Decision> }
>()

function cachedMembers(g: GroupConfig, edits: GroupEdits | undefined): ReadonlyMap<string, Decision> | undefined {
  const hit = memberMaps.get(g)
  return hit !== undefined && hit.edits === edits ? hit.members : undefined
}

function cacheMembers(
  g: GroupConfig, edits: GroupEdits | undefined, members: ReadonlyMap<string, Decision>,
): ReadonlyMap<string, Decision> {
  memberMaps.set(g, { edits, members })
  return members
}

type Members = Map<string, Decision> | ShardedMap<Decision>

/** Sharded beyond 65,536 ids, so that building it never blocks in one long rehash. */
function emptyMembers(g: GroupConfig, edits: GroupEdits | undefined): Members {
  return stringMap<Decision>(g.users.length + (edits?.added.size ?? 0))
}

function memberMap(g: GroupConfig, edits: GroupEdits | undefined): Members {
  const decision: Decision = groupDecision(g.backend, g.name)
  const members = emptyMembers(g, edits)
  for (const id of g.users) members.set(id, decision)
  applyEdits(members, edits, decision)
  return members
}

function applyEdits(members: Members, edits: GroupEdits | undefined, decision: Decision): void {
  for (const id of edits?.added ?? []) members.set(id, decision)
  for (const id of edits?.removed ?? []) members.delete(id)
}

/** Ids inserted between two turns of the event loop by `prepareViews`. */
const IDS_PER_SLICE = 4_096

/**
 * Build the member maps that `buildViews` would build for these targets, in time slices with a
 * turn of the event loop in between: after it, `buildViews` with the same config and snapshot is
 * quick even for groups of a million ids. A reload calls it before switching to the new config.
 */
export async function prepareViews(
  routes: readonly RouteConfig[], queues: readonly QueueConfig[], live: LiveSnapshot,
): Promise<void> {
  const slice = new TimeSlice()
  for (const [kind, list] of [['route', routes], ['queue', queues]] as const) {
    for (const cfg of list) {
      await slice.pass()
      const targetEdits = live.members.get(refKey({ kind, name: cfg.name }))
      for (const g of cfg.groups) {
        const edits = targetEdits?.get(g.name)
        if (cachedMembers(g, edits) === undefined) cacheMembers(g, edits, await memberMapSliced(g, edits))
      }
    }
  }
}

async function memberMapSliced(g: GroupConfig, edits: GroupEdits | undefined): Promise<Members> {
  const decision: Decision = groupDecision(g.backend, g.name)
  const members = emptyMembers(g, edits)
  for (let i = 0; i < g.users.length; i += IDS_PER_SLICE) {
    if (i > 0) await yieldToLoop()
    const end = Math.min(i + IDS_PER_SLICE, g.users.length)
    for (let j = i; j < end; j++) members.set(g.users[j]!, decision)
  }
  applyEdits(members, edits, decision)
  return members
}

/** A group's members: the file's ids plus live additions, minus live removals. */
export function effectiveMembers(g: GroupConfig, edits: GroupEdits | undefined): Set<string> {
  const members = new Set(g.users)
  if (edits) {
    for (const id of edits.added) members.add(id)
    for (const id of edits.removed) members.delete(id)
  }
  return members
}
