import type { TargetRef } from '../core/types.js'
import {
  HISTORY_LIMIT, refKey,
  type HistoryEvent, type LiveSnapshot, type StateStore, type TargetLive, type UpdateResult,
} from './store.js'

/**
 * The embedded default: live state in this process only. Persistence to `state.file` is added by
 * the file-backed store (issue: durable live state); without it, live changes are lost on restart.
 */
export class MemoryStateStore implements StateStore {
  readonly kind = 'memory' as const
  #targets = new Map<string, TargetLive>()
  #history = new Map<string, HistoryEvent[]>()
  #listeners = new Set<(ref: TargetRef) => void>()

  async load(): Promise<void> {}

  snapshot(): LiveSnapshot {
    return { targets: this.#targets }
  }

  get(ref: TargetRef): TargetLive | undefined {
    return this.#targets.get(refKey(ref))
  }

  async update(ref: TargetRef, expectVersion: number, next: Omit<TargetLive, 'version'>, event: HistoryEvent | undefined): Promise<UpdateResult> {
    const key = refKey(ref)
    const current = this.#targets.get(key)
    if ((current?.version ?? 0) !== expectVersion) return { ok: false, current }
    const live: TargetLive = Object.freeze({ ...next, version: expectVersion + 1 })
    // Copy-on-write: a snapshot handed out earlier never changes under its reader.
    this.#targets = new Map(this.#targets).set(key, live)
    if (event) this.#append(key, event)
    for (const l of this.#listeners) l(ref)
    return { ok: true, live }
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

  async close(): Promise<void> {
    this.#listeners.clear()
  }

  #append(key: string, event: HistoryEvent): void {
    const list = this.#history.get(key) ?? []
    list.push(event)
    if (list.length > HISTORY_LIMIT) list.splice(0, list.length - HISTORY_LIMIT)
    this.#history.set(key, list)
  }
}
