import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { TargetRef } from '../../core/types.js'
import { SluiceError } from '../../util/errors.js'
import { randomId } from '../../util/random.js'
import type { FleetWindows } from '../fleet.js'
import type { GoalLog } from '../goal-log.js'
import { HISTORY_LIMIT, refKey, type HistoryEvent, type LiveSnapshot, type StateStore, type StoreChange, type TargetLive, type UpdateResult } from '../store.js'
import { LiveCache, type TargetEntry } from './cache.js'
import { decodeHistory, decodeLive, decodeNotice, encodeEvent, encodeLive, memberField, memberValue, parseRef } from './codec.js'
import { flushWindowTo, readWindowFrom } from './fleet.js'
import { appendChunk, readChunks } from './goal-log.js'
import { RedisKeys } from './keys.js'
import { RedisLink } from './link.js'
import { defineScripts, loadScripts, queueScript, type RunScript } from './scripts.js'
import { readTarget, readTargets, restoreFrom, scanTargets, type SyncDeps } from './sync.js'

export interface RedisStoreOptions {
  /** redis://[user:pass@]host:port/db (or rediss:// for TLS). */
  readonly url: string
  /** Prefix of every key and of the change channel; fleets sharing one Redis need different prefixes. */
  readonly keyPrefix?: string
  /**
   * This replica's id: shown in CLIENT LIST (`PREFIX:NAME:cmd|sub`) and the origin of its change
   * notices. Random by default.
   */
  readonly name?: string
  readonly now?: () => number
  readonly logger?: Logger
  /** Reachability changes, each reported once (the first connection or failure included): sluice_state_store_up. */
  readonly onUp?: (up: boolean) => void
}

export const DEFAULT_KEY_PREFIX = 'sluice'
/** After a failed resync on a live connection (not a connection loss: that retries by reconnecting). */
const RESYNC_RETRY_MS = 1000
/**
 * Goal log chunks read per call: a replica catching up on a long log does it in bites (a chunk is
 * up to a second of one replica's new users).
 */
const GOAL_READ_CHUNKS = 20
/** Targets re-read in one pipeline after other replicas' changes (each turn decodes one batch of replies). */
const REREADS_PER_BATCH = 100
/** Updates sent in one pipeline by updateMany: each pipeline is built and its replies decoded in one turn. */
const UPDATES_PER_PIPELINE = 250

/**
 * Live state shared by every replica through one Redis.
 *
 * Guarantees, on top of StateStore's: `update` is one Lua script (version check, write, history
 * append, change notice); every change is published on `PREFIX:changes`, and each replica re-reads
 * that target into its in-memory copy, so `snapshot()`/`get()` never wait on Redis. While Redis is
 * unreachable the last copy keeps serving, and every call that needs Redis (writes, history, ping,
 * leases, fleet windows) rejects at once with SLUICE_ERR_STATE_STORE. On every (re)connection the
 * replica restores what Redis lost (restore-2.lua), re-reads everything and fires onChange for each
 * target that moved. Leaves out: Redis Cluster (keys are hash-tagged per target, but `load` SCANs one
 * node) and history that Redis itself lost (run Redis with persistence to keep it).
 */
export class RedisStateStore implements StateStore {
  readonly kind = 'redis' as const
  readonly fleet: FleetWindows
  readonly goalLog: GoalLog
  readonly #opts: RedisStoreOptions
  readonly #keys: RedisKeys
  readonly #origin: string
  readonly #cache = new LiveCache()
  readonly #listeners = new Set<(ref: TargetRef) => void>()
  readonly #link: RedisLink
  readonly #run: RunScript
  #up: boolean | undefined
  #downSince = 0
  readonly #settled: Promise<void>
  #settle: () => void = () => {}
  #resync: Promise<void> | undefined
  #resyncAgain = false
  #retry: NodeJS.Timeout | undefined
  #closed = false
  /** Targets noticed changed by another replica and not read since. */
  readonly #toReread = new Set<string>()
  #rereading: Promise<void> | undefined

  constructor(opts: RedisStoreOptions) {
    this.#opts = opts
    // Before any connection is opened: a missing script must not leave sockets reconnecting behind a
    // failed constructor.
    const scripts = loadScripts()
    const prefix = opts.keyPrefix ?? DEFAULT_KEY_PREFIX
    this.#keys = new RedisKeys(prefix)
    this.#origin = opts.name ?? randomId().slice(0, 12)
    this.#settled = new Promise((resolve) => { this.#settle = resolve })
    this.#link = new RedisLink(opts.url, `${prefix}:${this.#origin}`, this.#keys.channel, {
      connected: () => this.#onConnected(),
      disconnected: (reason) => this.#setUp(false, reason),
      message: (text) => this.#onNotice(text),
      error: (err) => opts.logger?.debug({ err }, 'state store (Redis) connection error'),
    })
    this.#run = defineScripts(this.#link.cmd, scripts)
    this.fleet = this.#fleet()
    this.goalLog = this.#goalLog()
  }

  /** Resolves once connected and everything is read; rejects (SLUICE_ERR_STATE_STORE) when Redis cannot be reached. */
  async load(): Promise<void> {
    await this.#settled
    if (this.#closed || !this.#link.connected) throw unavailable(this.#closed ? 'the store is closed' : this.#link.reason)
    try {
      await this.#resyncAll()
    } catch (err) {
      throw unavailable((err as Error).message, err)
    }
    if (this.#link.connected) this.#setUp(true)
  }

  snapshot(): LiveSnapshot {
    return this.#cache.snapshot()
  }

  get(ref: TargetRef): TargetLive | undefined {
    return this.#cache.get(refKey(ref))
  }

  async update(ref: TargetRef, expectVersion: number, next: Omit<TargetLive, 'version'>, event: HistoryEvent | undefined): Promise<UpdateResult> {
    const key = refKey(ref)
    const data = encodeLive(next)
    const reply = await this.#call(() => this.#run('update', [this.#keys.live(key), this.#keys.history(key)], [
      expectVersion, data, encodeEvent(event), HISTORY_LIMIT, this.#keys.channel, key, this.#origin,
    ])) as [number, number, string?]
    const [ok, version, current] = reply
    if (ok === 1) {
      const live: TargetLive = Object.freeze({ ...(JSON.parse(data) as Omit<TargetLive, 'version'>), version })
      this.#commit([{ key, live, members: undefined }])
      return { ok: true, live }
    }
    const live = current === undefined ? undefined : decodeLive(version, current)
    // The refusal carries the newer state: take it in, a notice may still be on its way.
    if (live) this.#commit([{ key, live, members: undefined }])
    return { ok: false, current: live }
  }

  /**
   * Many updates in one round trip: the same Lua script per target (each applied or refused on its
   * own version, atomically with its history and notice), sent as one pipeline per batch. Not one
   * script for all: a target's keys are hash-tagged on their own, so a cluster may place them apart.
   */
  async updateMany(changes: readonly StoreChange[]): Promise<UpdateResult[]> {
    const results: UpdateResult[] = []
    for (let start = 0; start < changes.length; start += UPDATES_PER_PIPELINE) {
      const batch = changes.slice(start, start + UPDATES_PER_PIPELINE)
      const data = batch.map((c) => encodeLive(c.next))
      const replies = await this.#call(async () => {
        const pipeline = this.#link.cmd.pipeline()
        batch.forEach((c, i) => {
          const key = refKey(c.ref)
          queueScript(pipeline, 'update', [this.#keys.live(key), this.#keys.history(key)], [
            c.expectVersion, data[i]!, encodeEvent(c.event), HISTORY_LIMIT, this.#keys.channel, key, this.#origin,
          ])
        })
        const out = await pipeline.exec()
        if (out === null) throw new Error('the pipeline was discarded')
        return out.map(([err, reply]) => {
          if (err) throw err
          return reply as [number, number, string?]
        })
      })
      const entries: TargetEntry[] = []
      replies.forEach(([ok, version, current], i) => {
        const key = refKey(batch[i]!.ref)
        if (ok === 1) {
          const live: TargetLive = Object.freeze({ ...(JSON.parse(data[i]!) as Omit<TargetLive, 'version'>), version })
          entries.push({ key, live, members: undefined })
          results.push({ ok: true, live })
          return
        }
        const live = current === undefined ? undefined : decodeLive(version, current)
        if (live) entries.push({ key, live, members: undefined })
        results.push({ ok: false, current: live })
      })
      this.#commit(entries)
    }
    return results
  }

  async setMember(ref: TargetRef, group: string, id: string, present: boolean): Promise<void> {
    const key = refKey(ref)
    const version = Number(await this.#call(() => this.#run('setMember', [this.#keys.members(key)], [
      memberField(group, id), memberValue(present), this.#keys.channel, key, this.#origin,
    ])))
    if (this.#cache.membersVersion(key) >= version) return // a re-read already brought it (and announced it)
    if (this.#cache.applyOwnEdit(key, group, id, present, version)) this.#emit([key])
    else await this.#reread(key) // another replica's edit came in between: fetch the whole set
  }

  async history(ref: TargetRef, limit: number): Promise<readonly HistoryEvent[]> {
    const n = Math.floor(limit)
    if (!(n > 0)) return []
    return decodeHistory(await this.#call(() => this.#link.cmd.lrange(this.#keys.history(refKey(ref)), -n, -1)))
  }

  onChange(listener: (ref: TargetRef) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  async ping(): Promise<void> {
    await this.#call(() => this.#link.cmd.ping())
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlMs))
    return await this.#call(() => this.#run('acquireLease', [this.#keys.lease(name)], [holder, ttl])) === 1
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#call(() => this.#run('releaseLease', [this.#keys.lease(name)], [holder]))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#retry)
    this.#listeners.clear()
    this.#settle()
    await this.#link.close()
  }

  #fleet(): FleetWindows {
    const cmd = this.#link.cmd
    return {
      flushWindow: (ref, window, replica, sides) => this.#call(
        () => flushWindowTo(cmd, this.#keys.window(refKey(ref), window), window, replica, sides),
      ),
      readWindow: (ref, window) => this.#call(() => readWindowFrom(
        cmd, this.#keys.window(refKey(ref), window),
        (replica) => this.#opts.logger?.warn(
          { target: refKey(ref), window: window.id, replica }, 'ignoring a malformed fleet window contribution',
        ),
      )),
    }
  }

  #goalLog(): GoalLog {
    const cmd = this.#link.cmd
    const key = (route: string, rolloutStart: number) => this.#keys.goals(refKey({ kind: 'route', name: route }), rolloutStart)
    return {
      append: (route, rolloutStart, chunk) => this.#call(() => appendChunk(cmd, key(route, rolloutStart), chunk)),
      read: (route, rolloutStart, from) => this.#call(() => readChunks(
        cmd, key(route, rolloutStart), from, GOAL_READ_CHUNKS,
        (index) => this.#opts.logger?.warn({ route, index }, 'ignoring a malformed goal log chunk'),
      )),
    }
  }

  /** Run a Redis call only when the store is usable; any failure becomes SLUICE_ERR_STATE_STORE. */
  async #call<T>(work: () => Promise<T>): Promise<T> {
    await this.#settled
    if (this.#closed) throw unavailable('the store is closed')
    if (this.#up !== true) throw unavailable(this.#link.connected ? 'reconnected, still resynchronising the state' : this.#link.reason)
    try {
      return await work()
    } catch (err) {
      throw unavailable((err as Error).message, err)
    }
  }

  #onConnected(): void {
    clearTimeout(this.#retry)
    this.#resyncAll().then(() => {
      if (this.#link.connected) this.#setUp(true)
    }, (err: Error) => {
      if (this.#closed) return
      this.#opts.logger?.warn({ err }, 'state store (Redis) resync failed; retrying')
      if (this.#up === undefined) this.#setUp(false, err.message)
      if (this.#link.connected) this.#retry = setTimeout(() => this.#onConnected(), RESYNC_RETRY_MS)
    })
  }

  #setUp(up: boolean, reason?: string): void {
    if (this.#closed) return
    const was = this.#up
    this.#up = up
    this.#settle()
    if (was === up) return
    if (!up) clearTimeout(this.#retry)
    this.#logTransition(up, was, reason)
    try {
      this.#opts.onUp?.(up)
    } catch (err) {
      this.#opts.logger?.error({ err }, 'the state store onUp callback failed')
    }
  }

  #logTransition(up: boolean, was: boolean | undefined, reason: string | undefined): void {
    const now = this.#now()
    const log = this.#opts.logger
    if (!up) {
      this.#downSince = now
      log?.warn({ reason }, 'the state store (Redis) is unreachable: serving the last state, refusing changes until it is back')
    } else if (was === false) {
      log?.info({ downMs: now - this.#downSince }, 'the state store (Redis) is reachable again; state resynchronised')
    }
  }

  /** Single flight: a (re)connection during a resync runs one more pass after it, never two at once. */
  #resyncAll(): Promise<void> {
    if (this.#resync) {
      this.#resyncAgain = true
      return this.#resync
    }
    const run = async () => {
      try {
        do {
          this.#resyncAgain = false
          await this.#resyncPass()
        } while (this.#resyncAgain && !this.#closed)
      } finally {
        this.#resync = undefined
      }
    }
    return (this.#resync = run())
  }

  async #resyncPass(): Promise<void> {
    const deps = this.#syncDeps()
    const restored = await restoreFrom(deps, this.#cache)
    if (restored > 0) this.#opts.logger?.warn({ targets: restored }, 'Redis had lost or held older live state; restored it from this replica (history before the loss is gone)')
    const keys = await scanTargets(deps)
    this.#commit(await Promise.all([...keys].map((key) => readTarget(deps, key))))
  }

  #syncDeps(): SyncDeps {
    return { cmd: this.#link.cmd, run: this.#run, keys: this.#keys, origin: this.#origin, logger: this.#opts.logger }
  }

  #onNotice(text: string): void {
    const n = decodeNotice(text)
    if (!n || n.origin === this.#origin) return // our own writes are applied from their replies
    const newLive = n.version !== undefined && n.version > this.#cache.liveVersion(n.ref)
    const newMembers = n.membersVersion !== undefined && n.membersVersion > this.#cache.membersVersion(n.ref)
    if (newLive || newMembers) void this.#reread(n.ref)
  }

  /**
   * Re-read a target another replica changed; resolves once it was read (or the read failed: the
   * resync after the reconnect brings it). Never rejects. Targets noticed in one turn are read
   * together, REREADS_PER_BATCH per pipeline, one batch after the other; a notice for a target
   * whose read is in flight reads it once more after it.
   */
  #reread(key: string): Promise<void> {
    this.#toReread.add(key)
    this.#rereading ??= this.#rereadAll().finally(() => { this.#rereading = undefined })
    return this.#rereading
  }

  async #rereadAll(): Promise<void> {
    while (this.#toReread.size > 0 && !this.#closed) {
      await yieldToLoop() // the notices of this turn join the batch
      const keys: string[] = []
      for (const key of this.#toReread) {
        if (keys.length === REREADS_PER_BATCH) break
        keys.push(key)
      }
      for (const key of keys) this.#toReread.delete(key)
      try {
        this.#commit(await readTargets(this.#syncDeps(), keys))
      } catch (err) {
        this.#opts.logger?.debug({ err, targets: keys.length }, 'state store (Redis) re-read failed')
      }
    }
  }

  #commit(entries: readonly TargetEntry[]): void {
    this.#emit(this.#cache.commit(entries))
  }

  #emit(keys: readonly string[]): void {
    for (const key of keys) {
      const ref = parseRef(key)
      if (!ref) continue
      for (const l of this.#listeners) {
        try {
          l(ref)
        } catch (err) {
          this.#opts.logger?.error({ err, target: key }, 'a state change listener failed')
        }
      }
    }
  }

  #now(): number {
    return this.#opts.now?.() ?? Date.now()
  }
}

function unavailable(reason: string, cause?: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_STATE_STORE', `the state store (Redis) is unavailable: ${reason}`, cause === undefined ? undefined : { cause })
}
