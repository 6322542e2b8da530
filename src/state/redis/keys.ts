import type { WindowRef } from '../fleet.js'

/**
 * Where the Redis store keeps what. Every key of one target carries the target's ref key as a
 * hash tag (`{route/checkout}`), so on a Redis Cluster a target's keys share one slot and the
 * multi-key Lua scripts stay legal:
 *
 *   PREFIX:{kind/name}:live                 hash  v = version, d = TargetLive JSON (no version)
 *   PREFIX:{kind/name}:history              list  HistoryEvent JSON, oldest first, ≤ HISTORY_LIMIT
 *   PREFIX:{kind/name}:members              hash  v = members version, ["group","id"] = 1 | 0
 *   PREFIX:{kind/name}:window:MS:ID         hash  replica id = WindowSides JSON, expires
 *   PREFIX:{kind/name}:series:MS:ID         hash  the same for the dashboard's time series
 *   PREFIX:{route/name}:goals:ROLLOUTSTART  list  binary goal chunks (state/goal-log.ts), expires
 *   PREFIX:lease:{name}                     string holder id, expires
 *   PREFIX:changes                          pub/sub channel of change notices
 */
export class RedisKeys {
  readonly channel: string
  readonly #prefix: string

  constructor(prefix: string) {
    this.#prefix = prefix
    this.channel = `${prefix}:changes`
  }

  live(ref: string): string {
    return this.#target(ref, 'live')
  }

  history(ref: string): string {
    return this.#target(ref, 'history')
  }

  members(ref: string): string {
    return this.#target(ref, 'members')
  }

  window(ref: string, window: WindowRef): string {
    return this.#target(ref, `${window.counts === 'series' ? 'series' : 'window'}:${window.ms}:${window.id}`)
  }

  goals(ref: string, rolloutStart: number): string {
    return this.#target(ref, `goals:${rolloutStart}`)
  }

  lease(name: string): string {
    return `${this.#prefix}:lease:{${name}}`
  }

  /** SCAN MATCH pattern for every per-target key (the prefix's glob characters escaped). */
  scanPattern(): string {
    return `${this.#prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:{*}:*`
  }

  /** The ref key of a live or members key from SCAN; undefined for any other key. */
  refOfStateKey(key: string): string | undefined {
    const head = `${this.#prefix}:{`
    if (!key.startsWith(head)) return undefined
    const rest = key.slice(head.length)
    const end = rest.indexOf('}:')
    if (end <= 0) return undefined
    const suffix = rest.slice(end + 2)
    return suffix === 'live' || suffix === 'members' ? rest.slice(0, end) : undefined
  }

  #target(ref: string, suffix: string): string {
    return `${this.#prefix}:{${ref}}:${suffix}`
  }
}
