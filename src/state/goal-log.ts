import type { Side } from '../core/types.js'

/**
 * Fleet-wide goal counts: every replica appends what it counted since its last flush (newly exposed
 * keys, goal events) as one chunk to a shared log per route and rollout, and every replica replays
 * the whole fleet's chunks into its own fingerprint sets (observe/goals.ts). So each replica holds
 * the fleet's exposure and conversions — exact and deduplicated by the sets, attributed with the
 * fleet's exposure — and the leader judges, and every replica shows, the same figures; a restarted
 * replica replays the log and has them back. Nothing of this runs on the request path: the data
 * plane only adds to in-process sets and buffers, a timer flushes and replays (control/goal-sync.ts).
 *
 * Chunks are binary: 4 bytes per exposed key, 14 bytes per goal event, so a million exposed users
 * cost about 4 MB of log per step they were seen in.
 */

/** One goal event as logged: the key's fingerprint, the side it was attributed to, the value. */
export interface LoggedConversion {
  readonly goal: string
  readonly side: Side
  readonly keyHash: number
  readonly value: number
}

/** What one replica counted between two flushes, at one step. */
export interface GoalChunk {
  /** When the step these records belong to began (epoch ms of its percent change; 0 = since start). */
  readonly stepStart: number
  readonly exposed: { readonly old: readonly number[]; readonly new: readonly number[] }
  readonly conversions: readonly LoggedConversion[]
}

/**
 * Guarantees: chunks of one (route, rollout) are read back in append order, the same order for
 * every reader; a log expires GOAL_LOG_TTL_MS after its last append. Both reject with
 * SLUICE_ERR_STATE_STORE while the store is unreachable (the caller keeps its records and retries).
 */
export interface GoalLog {
  append(route: string, rolloutStart: number, chunk: GoalChunk): Promise<void>
  /** Chunks from index `from` on (0 = all); unreadable chunks are skipped, never counted. */
  read(route: string, rolloutStart: number, from: number): Promise<{ chunks: GoalChunk[]; next: number }>
}

/** A rollout's goal log lives this long after its last append: a month of figures to look back on. */
export const GOAL_LOG_TTL_MS = 30 * 24 * 3600 * 1000

const VERSION = 1
const SIDES: readonly Side[] = ['old', 'new']

/**
 * Layout: u8 version, f64 stepStart, u32 #old, u32 #new, u32 #conversions, u8 #goals, goal names
 * (u8 length + UTF-8 each), u32 fingerprints (old then new), then per conversion u8 goal index,
 * u8 side (0 old, 1 new), u32 fingerprint, f64 value. Little-endian.
 */
export function encodeChunk(c: GoalChunk): Buffer {
  const goals = [...new Set(c.conversions.map((x) => x.goal))].slice(0, 255)
  const names = goals.map((g) => Buffer.from(g, 'utf8').subarray(0, 255))
  const conversions = c.conversions.filter((x) => goals.includes(x.goal))
  const nameBytes = names.reduce((n, b) => n + 1 + b.length, 0)
  const size = 1 + 8 + 12 + 1 + nameBytes + 4 * (c.exposed.old.length + c.exposed.new.length) + 14 * conversions.length
  const buf = Buffer.alloc(size)
  let at = buf.writeUInt8(VERSION, 0)
  at = buf.writeDoubleLE(c.stepStart, at)
  at = buf.writeUInt32LE(c.exposed.old.length, at)
  at = buf.writeUInt32LE(c.exposed.new.length, at)
  at = buf.writeUInt32LE(conversions.length, at)
  at = buf.writeUInt8(names.length, at)
  for (const n of names) { at = buf.writeUInt8(n.length, at); at += n.copy(buf, at) }
  for (const side of SIDES) for (const f of c.exposed[side]) at = buf.writeUInt32LE(f >>> 0, at)
  for (const x of conversions) {
    at = buf.writeUInt8(goals.indexOf(x.goal), at)
    at = buf.writeUInt8(x.side === 'new' ? 1 : 0, at)
    at = buf.writeUInt32LE(x.keyHash >>> 0, at)
    at = buf.writeDoubleLE(x.value, at)
  }
  return buf
}

/** The chunk in `buf`, or undefined when it is not one this version wrote (truncated, foreign). */
export function decodeChunk(buf: Buffer): GoalChunk | undefined {
  try {
    let at = 0
    if (buf.readUInt8(at++) !== VERSION) return undefined
    const stepStart = buf.readDoubleLE(at); at += 8
    const nOld = buf.readUInt32LE(at); at += 4
    const nNew = buf.readUInt32LE(at); at += 4
    const nConv = buf.readUInt32LE(at); at += 4
    const nGoals = buf.readUInt8(at++)
    const goals: string[] = []
    for (let i = 0; i < nGoals; i++) {
      const len = buf.readUInt8(at++)
      goals.push(buf.toString('utf8', at, at + len)); at += len
    }
    if (buf.length !== at + 4 * (nOld + nNew) + 14 * nConv) return undefined
    const read = (n: number) => {
      const out = new Array<number>(n)
      for (let i = 0; i < n; i++, at += 4) out[i] = buf.readUInt32LE(at)
      return out
    }
    const old = read(nOld)
    const neu = read(nNew)
    const conversions: LoggedConversion[] = []
    for (let i = 0; i < nConv; i++) {
      const goal = goals[buf.readUInt8(at)]
      const side: Side = buf.readUInt8(at + 1) === 1 ? 'new' : 'old'
      const keyHash = buf.readUInt32LE(at + 2)
      const value = buf.readDoubleLE(at + 6)
      at += 14
      if (goal === undefined || !Number.isFinite(value)) return undefined
      conversions.push({ goal, side, keyHash, value })
    }
    return { stepStart, exposed: { old, new: neu }, conversions }
  } catch {
    return undefined
  }
}
