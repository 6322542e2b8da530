import { ROLLOUT_STATES, type Kind, type RolloutState, type TargetRef } from '../../core/types.js'
import { asLastVerdict, type GroupEdits, type HistoryEvent, type TargetLive } from '../store.js'

/**
 * The Redis store's value formats (see keys.ts for the keys). Decoders never throw: a value
 * that is not what sluice writes comes back as undefined and the caller logs it, so one bad key
 * cannot stop a replica from loading the others.
 */

/** The field that holds a hash's version, in the live and the members hash. */
export const VERSION_FIELD = 'v'
const DATA_FIELD = 'd'
const ADDED = '1'
const REMOVED = '0'

/** One target's group edits, with the version of the members hash they were read at. */
export interface MembersState {
  readonly version: number
  readonly groups: ReadonlyMap<string, GroupEdits>
}

/** What a change notice on the channel says: which target, who wrote, and the versions written. */
export interface ChangeNotice {
  readonly ref: string
  readonly origin: string | undefined
  readonly version: number | undefined
  readonly membersVersion: number | undefined
}

/** TargetLive JSON without the version (the hash keeps it in its own field, for the Lua CAS). */
export function encodeLive(next: Omit<TargetLive, 'version'>): string {
  const copy: Record<string, unknown> = { ...next }
  delete copy.version
  return JSON.stringify(copy)
}

/** The frozen TargetLive for `version` and the stored JSON; undefined when malformed. */
export function decodeLive(version: number, data: string): TargetLive | undefined {
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    return undefined
  }
  const v = value as Partial<TargetLive> | null
  if (typeof v !== 'object' || v === null || !Number.isInteger(version) || version < 1) return undefined
  if (typeof v.percentBp !== 'number' || typeof v.step !== 'number' || typeof v.filePercentBp !== 'number' || typeof v.updatedAt !== 'number') return undefined
  if (!ROLLOUT_STATES.includes(v.state as RolloutState)) return undefined
  const live = { ...(v as Omit<TargetLive, 'version'>), version }
  // A malformed verdict costs only itself: percent and state are still good.
  if ('lastVerdict' in live && asLastVerdict(live.lastVerdict) === undefined) delete (live as { lastVerdict?: unknown }).lastVerdict
  return Object.freeze(live)
}

/** A live hash from HGETALL: undefined when absent or malformed. */
export function decodeLiveHash(hash: Record<string, string>): TargetLive | undefined {
  const data = hash[DATA_FIELD]
  return data === undefined ? undefined : decodeLive(Number(hash[VERSION_FIELD]), data)
}

/** The members hash field of one (group, id): JSON, so neither part needs escaping. */
export function memberField(group: string, id: string): string {
  return JSON.stringify([group, id])
}

export function memberValue(present: boolean): string {
  return present ? ADDED : REMOVED
}

/** A members hash from HGETALL: undefined when absent; malformed fields are skipped. */
export function decodeMembersHash(hash: Record<string, string>): MembersState | undefined {
  const version = Number(hash[VERSION_FIELD])
  if (!Number.isInteger(version) || version < 1) return undefined
  const groups = new Map<string, { added: Set<string>; removed: Set<string> }>()
  for (const [field, value] of Object.entries(hash)) {
    const parsed = field === VERSION_FIELD ? undefined : parseField(field)
    if (!parsed || (value !== ADDED && value !== REMOVED)) continue
    const [group, id] = parsed
    let edits = groups.get(group)
    if (!edits) groups.set(group, edits = { added: new Set(), removed: new Set() })
    ;(value === ADDED ? edits.added : edits.removed).add(id)
  }
  return { version, groups }
}

/** The members hash as flat field/value pairs (for the restore script). */
export function membersPairs(groups: ReadonlyMap<string, GroupEdits>): string[] {
  const pairs: string[] = []
  for (const [group, edits] of groups) {
    for (const id of edits.added) pairs.push(memberField(group, id), ADDED)
    for (const id of edits.removed) pairs.push(memberField(group, id), REMOVED)
  }
  return pairs
}

function parseField(field: string): [string, string] | undefined {
  try {
    const v: unknown = JSON.parse(field)
    return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' ? [v[0], v[1]] : undefined
  } catch {
    return undefined
  }
}

/** History entries, oldest first; malformed entries are left out. */
export function decodeHistory(entries: readonly string[]): HistoryEvent[] {
  const events: HistoryEvent[] = []
  for (const text of entries) {
    try {
      const e = JSON.parse(text) as Partial<HistoryEvent> | null
      if (e && typeof e === 'object' && typeof e.at === 'number' && e.from && e.to) events.push(e as HistoryEvent)
    } catch {
      // not ours: skip it rather than fail the whole history read
    }
  }
  return events
}

export function encodeEvent(event: HistoryEvent | undefined): string {
  return event === undefined ? '' : JSON.stringify(event)
}

/** A notice as published by the Lua scripts: {"r": ref, "o": origin, "v": version, "mv": members version}. */
export function decodeNotice(message: string): ChangeNotice | undefined {
  try {
    const n = JSON.parse(message) as { r?: unknown; o?: unknown; v?: unknown; mv?: unknown } | null
    if (!n || typeof n.r !== 'string' || parseRef(n.r) === undefined) return undefined
    return {
      ref: n.r,
      origin: typeof n.o === 'string' ? n.o : undefined,
      version: typeof n.v === 'number' && n.v > 0 ? n.v : undefined,
      membersVersion: typeof n.mv === 'number' && n.mv > 0 ? n.mv : undefined,
    }
  } catch {
    return undefined
  }
}

/** `kind/name` → TargetRef (the inverse of store.refKey); undefined for anything else. */
export function parseRef(key: string): TargetRef | undefined {
  const slash = key.indexOf('/')
  const kind = key.slice(0, slash)
  const name = key.slice(slash + 1)
  if (slash < 0 || name === '' || (kind !== 'route' && kind !== 'queue')) return undefined
  return { kind: kind as Kind, name }
}
