import type { GroupConfig, QueueConfig, RouteConfig } from '../config/types.js'
import { thresholdFor } from '../core/bucket.js'
import { groupDecision } from '../core/decide.js'
import type { Decision, GroupView, Kind, TargetView } from '../core/types.js'
import { refKey, type LiveSnapshot, type TargetLive } from './store.js'

/** Every target's decision view, by name. Immutable: replaced whole on any change. */
export interface ViewTable {
  readonly routes: ReadonlyMap<string, TargetView>
  readonly queues: ReadonlyMap<string, TargetView>
}

export function buildViews(routes: readonly RouteConfig[], queues: readonly QueueConfig[], live: LiveSnapshot): ViewTable {
  const r = new Map<string, TargetView>()
  for (const cfg of routes) r.set(cfg.name, buildView('route', cfg, live.targets.get(refKey({ kind: 'route', name: cfg.name }))))
  const q = new Map<string, TargetView>()
  for (const cfg of queues) q.set(cfg.name, buildView('queue', cfg, live.targets.get(refKey({ kind: 'queue', name: cfg.name }))))
  return { routes: r, queues: q }
}

function buildView(kind: Kind, cfg: RouteConfig | QueueConfig, live: TargetLive | undefined): TargetView {
  const percentBp = live?.percentBp ?? cfg.percentBp
  return Object.freeze({
    kind,
    name: cfg.name,
    percentBp,
    threshold: thresholdFor(percentBp),
    hashPrefix: `${cfg.name}:`,
    keySources: cfg.sticky,
    groups: Object.freeze(cfg.groups.map(buildGroup)),
    optIn: 'optIn' in cfg ? cfg.optIn : false,
  })
}

function buildGroup(g: GroupConfig): GroupView {
  const decision: Decision = groupDecision(g.backend, g.name)
  const members = new Map<string, Decision>()
  for (const id of g.users) members.set(id, decision)
  return Object.freeze({ name: g.name, source: g.key, members })
}
