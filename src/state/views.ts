import type { GroupConfig, QueueConfig, RouteConfig } from '../config/types.js'
import { thresholdFor } from '../core/bucket.js'
import { groupDecision } from '../core/decide.js'
import type { Decision, GroupView, Kind, TargetView } from '../core/types.js'
import { refKey, type GroupEdits, type LiveSnapshot, type TargetLive } from './store.js'

/** Every target's decision view, by name. Immutable: replaced whole on any change. */
export interface ViewTable {
  readonly routes: ReadonlyMap<string, TargetView>
  readonly queues: ReadonlyMap<string, TargetView>
}

export function buildViews(routes: readonly RouteConfig[], queues: readonly QueueConfig[], live: LiveSnapshot): ViewTable {
  const r = new Map<string, TargetView>()
  for (const cfg of routes) r.set(cfg.name, buildView('route', cfg, live))
  const q = new Map<string, TargetView>()
  for (const cfg of queues) q.set(cfg.name, buildView('queue', cfg, live))
  return { routes: r, queues: q }
}

function buildView(kind: Kind, cfg: RouteConfig | QueueConfig, snapshot: LiveSnapshot): TargetView {
  const key = refKey({ kind, name: cfg.name })
  const live: TargetLive | undefined = snapshot.targets.get(key)
  const edits = snapshot.members.get(key)
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
  const decision: Decision = groupDecision(g.backend, g.name)
  const members = new Map<string, Decision>()
  for (const id of effectiveMembers(g, edits)) members.set(id, decision)
  return Object.freeze({ name: g.name, source: g.key, members })
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
