import type { TargetRef } from '../core/types.js'
import { SluiceError } from '../util/errors.js'
import { TimeSlice } from '../util/time-slice.js'
import { readStateFile, writeStateFile } from './state-file.js'
import { FileGoalLog } from './file-goal-log.js'
import type { GoalLog } from './goal-log.js'
import {
  HISTORY_LIMIT, refKey,
  type GroupEdits, type HistoryEvent, type LiveSnapshot, type StateStore, type StoreChange, type TargetLive,
  type UpdateResult,
} from './store.js'

export interface MemoryStoreOptions {
  /** Persist every change to this file (atomic write) and load it at start; undefined = lost on restart. */
  readonly file?: string | undefined
  readonly now?: () => number
  /** Told about a state file that had to be moved aside, and similar problems worth a log line. */
  readonly onProblem?: (message: string, detail: Record<string, unknown>) => void
}

type Members = Map<string, Map<string, GroupEdits>>

/**
 * Changes above this many are always applied to copies, in time slices: a reload's 10,000 would
 * otherwise hold the event loop for tens of ms. Below it, without a file or a shared snapshot, the
 * maps change in place and nothing yields.
 */
const IN_PLACE_MAX = 64

/**
 * The embedded default: live state in this process, optionally persisted to `state.file`.
 * Every change is serialised; with a file, the new state is written (and fsynced) before it is
 * committed in memory, so a failed write changes nothing and the caller gets SLUICE_ERR_STATE_STORE.
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const
  #targets = new Map<string, TargetLive>()
  #members: Members = new Map()
  #history = new Map<string, HistoryEvent[]>()
  #listeners = new Set<(ref: TargetRef) => void>()
  #queue: Promise<unknown> = Promise.resolve()
  /** A snapshot handed out since the last change may still be read: the next change copies the maps first. */
  #shared = false
  readonly #opts: MemoryStoreOptions
  /** With a state file, goal counts are kept beside it (`FILE.goals/`) and survive a restart. */
  readonly goalLog: GoalLog | undefined

  constructor(opts: MemoryStoreOptions = {}) {
    this.#opts = opts
    this.goalLog = opts.file ? new FileGoalLog(`${opts.file}.goals`) : undefined
  }

  async load(): Promise<void> {
    const file = this.#opts.file
    if (!file) return
    const result = await readStateFile(file, this.#now())
    if (result.kind === 'corrupt') {
      this.#opts.onProblem?.('the state file is unreadable or corrupt; starting from the config file', { file, reason: result.reason, movedTo: result.movedTo })
    }
    if (result.kind !== 'ok') return
    this.#targets = new Map(Object.entries(result.state.targets).map(([k, v]) => [k, Object.freeze({ ...v })]))
    this.#history = new Map(Object.entries(result.state.history).map(([k, v]) => [k, v.slice(-HISTORY_LIMIT)]))
    this.#members = new Map(Object.entries(result.state.members ?? {}).map(([k, groups]) => [k, new Map(
      Object.entries(groups).map(([g, e]) => [g, { added: new Set(e.added), removed: new Set(e.removed) }]),
    )]))
  }

  snapshot(): LiveSnapshot {
    this.#shared = true
    return { targets: this.#targets, members: this.#members }
  }

  get(ref: TargetRef): TargetLive | undefined {
    return this.#targets.get(refKey(ref))
  }

  update(ref: TargetRef, expectVersion: number, next: Omit<TargetLive, 'version'>, event: HistoryEvent | undefined): Promise<UpdateResult> {
    return this.#serial(async () => (await this.#apply([{ ref, expectVersion, next, event }]))[0]!)
  }

  updateMany(changes: readonly StoreChange[]): Promise<UpdateResult[]> {
    return this.#serial(() => this.#apply(changes))
  }

  /**
   * Copy-on-write, but only where someone could see the difference: a snapshot handed out earlier
   * never changes under its reader, and with a file the new state is written before it counts (a
   * failed write changes nothing). Otherwise the maps change in place, so 10,000 targets created
   * one by one cost 10,000 steps, not 10,000 copies of everything.
   *
   * Working on copies, the next maps are built (and written) in time slices, and swapped in at the
   * end: readers in the turns in between see the old state whole, never half a batch.
   */
  async #apply(changes: readonly StoreChange[]): Promise<UpdateResult[]> {
    const persisted = this.#opts.file !== undefined
    const copy = this.#shared || persisted || changes.length > IN_PLACE_MAX
    const targets = copy ? new Map(this.#targets) : this.#targets
    const history = copy ? new Map(this.#history) : this.#history
    const slice = copy ? new TimeSlice() : undefined
    const results: UpdateResult[] = []
    const changed: TargetRef[] = []
    for (const { ref, expectVersion, next, event } of changes) {
      if (slice !== undefined) await slice.pass()
      const key = refKey(ref)
      const current = targets.get(key)
      if ((current?.version ?? 0) !== expectVersion) {
        results.push({ ok: false, current })
        continue
      }
      const live: TargetLive = Object.freeze({ ...next, version: expectVersion + 1 })
      targets.set(key, live)
      if (event) history.set(key, withEvent(history.get(key), event))
      results.push({ ok: true, live })
      changed.push(ref)
    }
    if (changed.length === 0) return results
    await this.#persist(targets, history, this.#members)
    if (targets !== this.#targets) this.#shared = false
    this.#targets = targets
    this.#history = history
    await this.#emitAll(changed)
    return results
  }

  setMember(ref: TargetRef, group: string, id: string, present: boolean): Promise<void> {
    return this.#serial(async () => {
      const members = withMember(this.#members, refKey(ref), group, id, present)
      await this.#persist(this.#targets, this.#history, members)
      this.#members = members
      this.#emit(ref)
    })
  }

  async history(ref: TargetRef, limit: number): Promise<readonly HistoryEvent[]> {
    const all = this.#history.get(refKey(ref)) ?? []
    return all.slice(Math.max(0, all.length - limit))
  }

  onChange(listener: (ref: TargetRef) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async ping(): Promise<void> {}

  /** One process is the whole fleet: it always holds every lease. */
  async acquireLease(_name: string, _holder: string, _ttlMs: number): Promise<boolean> {
    return true
  }

  async releaseLease(_name: string, _holder: string): Promise<void> {}

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined)
    this.#listeners.clear()
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work)
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #persist(
    targets: Map<string, TargetLive>, history: Map<string, HistoryEvent[]>, members: Members,
  ): Promise<void> {
    const file = this.#opts.file
    if (!file) return
    try {
      await writeStateFile(file, { savedAt: this.#now(), targets, history, members })
    } catch (err) {
      throw new SluiceError('SLUICE_ERR_STATE_STORE', `cannot write the state file ${file}: ${(err as Error).message}; the change was not applied`, { cause: err })
    }
  }

  #emit(ref: TargetRef): void {
    for (const l of this.#listeners) l(ref)
  }

  /**
   * Every listener told of every ref before the change's promise resolves (a caller may rely on it),
   * in time slices: 10,000 refs of a reload times the listeners would be one long turn. A few are
   * told at once, in the turn that committed them.
   */
  async #emitAll(refs: readonly TargetRef[]): Promise<void> {
    const slice = refs.length > IN_PLACE_MAX ? new TimeSlice() : undefined
    for (const ref of refs) {
      // Listeners told between two yields are told in one synchronous run, so one that collects
      // changes in a microtask (LiveViews) gets a slice's worth together.
      if (slice?.spent === true) await slice.pass()
      this.#emit(ref)
    }
  }

  #now(): number {
    return this.#opts.now?.() ?? Date.now()
  }
}

function withEvent(list: readonly HistoryEvent[] | undefined, event: HistoryEvent): HistoryEvent[] {
  const next = [...(list ?? []), event]
  if (next.length > HISTORY_LIMIT) next.splice(0, next.length - HISTORY_LIMIT)
  return next
}

function withMember(members: Members, key: string, group: string, id: string, present: boolean): Members {
  const groups = new Map(members.get(key) ?? [])
  const edits = groups.get(group) ?? { added: new Set<string>(), removed: new Set<string>() }
  const added = new Set(edits.added)
  const removed = new Set(edits.removed)
  if (present) { added.add(id); removed.delete(id) } else { added.delete(id); removed.add(id) }
  groups.set(group, { added, removed })
  return new Map(members).set(key, groups)
}
