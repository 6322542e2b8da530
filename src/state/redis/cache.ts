import type { GroupEdits, LiveSnapshot, TargetLive } from '../store.js'
import type { MembersState } from './codec.js'

/** What one read of a target from Redis found (undefined = that key is absent). */
export interface TargetEntry {
  readonly key: string
  readonly live: TargetLive | undefined
  readonly members: MembersState | undefined
}

/**
 * A replica's copy of the shared state, served synchronously to the data plane.
 *
 * Guarantees: copy-on-write (a snapshot handed out never changes; the maps are copied at the first
 * change after one was handed out, not at every change: a follower re-reads another replica's
 * 10,000 changes one by one, and a copy per change cost O(n²)); it only moves forward — a live
 * state or a members set replaces the cached one only when its version is higher, so replies that
 * arrive out of order (our own write's reply, a re-read after a notice, a full resync) can never
 * put an older state back. Nothing is ever dropped: sluice has no delete, and a key missing from
 * Redis (lost in a restart) is restored from here, not forgotten.
 */
export class LiveCache {
  #targets = new Map<string, TargetLive>()
  #members = new Map<string, ReadonlyMap<string, GroupEdits>>()
  readonly #memberVersions = new Map<string, number>()
  /** A snapshot handed out may still be reading the current maps: the next change to each copies it first. */
  #targetsShared = false
  #membersShared = false

  snapshot(): LiveSnapshot {
    this.#targetsShared = true
    this.#membersShared = true
    return { targets: this.#targets, members: this.#members }
  }

  get(key: string): TargetLive | undefined {
    return this.#targets.get(key)
  }

  liveVersion(key: string): number {
    return this.#targets.get(key)?.version ?? 0
  }

  membersVersion(key: string): number {
    return this.#memberVersions.get(key) ?? 0
  }

  /** Every target key with something cached (for the restore after a reconnect). */
  keys(): Set<string> {
    return new Set([...this.#targets.keys(), ...this.#members.keys()])
  }

  /** The cached members of `key` with their version, if any. */
  membersOf(key: string): MembersState | undefined {
    const groups = this.#members.get(key)
    return groups ? { version: this.membersVersion(key), groups } : undefined
  }

  /** Take in what was read; returns the keys that moved forward (their listeners must hear of it). */
  commit(entries: readonly TargetEntry[]): string[] {
    let targets: Map<string, TargetLive> | undefined
    let members: Map<string, ReadonlyMap<string, GroupEdits>> | undefined
    const changed = new Set<string>()
    for (const { key, live, members: m } of entries) {
      if (live && live.version > this.liveVersion(key)) {
        if (targets === undefined) {
          targets = this.#targetsShared ? new Map(this.#targets) : this.#targets
          this.#targetsShared = false
        }
        targets.set(key, live)
        changed.add(key)
      }
      if (m && m.version > this.membersVersion(key)) {
        if (members === undefined) {
          members = this.#membersShared ? new Map(this.#members) : this.#members
          this.#membersShared = false
        }
        members.set(key, m.groups)
        this.#memberVersions.set(key, m.version)
        changed.add(key)
      }
    }
    if (targets) this.#targets = targets
    if (members) this.#members = members
    return [...changed]
  }


  /**
   * Apply our own membership edit, written as members version `version`. Only valid when the cache
   * holds exactly the version before it; otherwise another replica's edit came in between, and
   * the caller re-reads the whole set instead. Returns whether it was applied.
   */
  applyOwnEdit(key: string, group: string, id: string, present: boolean, version: number): boolean {
    if (this.membersVersion(key) !== version - 1) return false
    const groups = new Map(this.#members.get(key) ?? [])
    const edits = groups.get(group)
    const added = new Set(edits?.added)
    const removed = new Set(edits?.removed)
    if (present) { added.add(id); removed.delete(id) } else { added.delete(id); removed.add(id) }
    groups.set(group, { added, removed })
    this.#members = new Map(this.#members).set(key, groups)
    this.#membersShared = false
    this.#memberVersions.set(key, version)
    return true
  }
}
