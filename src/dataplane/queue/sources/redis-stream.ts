import { hostname } from 'node:os'
import { randomId } from '../../../util/random.js'
import { bodyId, makeJob, parseBody } from '../job.js'
import type { Job, SourceOptions } from '../types.js'
import { PullingSource } from './pulling-source.js'

export const DEFAULT_GROUP = 'sluice'
/**
 * An entry pending this long was taken by a consumer that is gone (a crashed router): reclaim it.
 * Long enough that a healthy router's slow publish (sink timeouts and retries) is never taken from it.
 */
export const DEFAULT_MIN_IDLE_MS = 60_000
/** XREADGROUP BLOCK when the stream has nothing new: bounds how long close() waits for the read. */
const BLOCK_MS = 250

export interface RedisStreamSourceConfig {
  readonly url: string
  readonly key: string
  readonly group: string | undefined
}

type Entry = [id: string, fields: string[] | null]

/**
 * A consumer group on a Redis stream. The group (default `sluice`) is created
 * with MKSTREAM when missing, starting at the beginning of the stream (entries already there are
 * waiting jobs), and again if Redis lost it. Each process is its own consumer. New entries come
 * from XREADGROUP `>`; ack is XACK (batched per turn; the entry stays in the stream for other groups,
 * trimming is the producer's MAXLEN). Recovery: this consumer's own pending entries are read again
 * after any failed read, and entries idle for `minIdleMs` with any consumer are taken over with
 * XAUTOCLAIM, checked every half of that. A job is the field `body` (or, without one, the entry's
 * fields as a JSON object); its id is the field `id`, else the body's `id`, else the entry id.
 */
export class RedisStreamSource extends PullingSource {
  readonly #group: string
  readonly #consumer = `sluice-${hostname()}-${process.pid}-${randomId().slice(0, 8)}`
  readonly #minIdleMs: number
  /** Entry ids being delivered by this process: never delivered twice at once. */
  readonly #working = new Set<string>()
  #nextClaimAt = 0
  #claimCursor = '0-0'

  constructor(cfg: RedisStreamSourceConfig, opts: SourceOptions) {
    super(cfg.url, cfg.key, opts)
    this.#group = cfg.group ?? DEFAULT_GROUP
    this.#minIdleMs = opts.minIdleMs ?? DEFAULT_MIN_IDLE_MS
  }

  protected async ackBatch(ids: readonly string[]): Promise<void> {
    await this.cmd.xack(this.key, this.#group, ...ids)
  }

  /** Entries not yet read by the group (its lag) plus those read and not acknowledged (pending). */
  async backlog(): Promise<number> {
    const groups = (await this.cmd.call('XINFO', 'GROUPS', this.key)) as unknown[][]
    const mine = groups.map(fieldsToObject).find((g) => g.name === this.#group)
    if (mine === undefined) return this.cmd.xlen(this.key)
    return Number(mine.pending ?? 0) + Number(mine.lag ?? 0)
  }

  /** Reclaims stale entries when due, then reads new ones, while slots are free. */
  protected async take(): Promise<void> {
    // COUNT 0 would mean "no limit" to Redis: only read while a slot is free.
    if (this.slots.free > 0) await this.#claimIfDue()
    if (this.slots.free > 0) await this.#readNew()
  }

  /** Creates the group if missing (BUSYGROUP means it exists), then re-reads this consumer's own pending entries. */
  protected async recover(): Promise<void> {
    try {
      await this.cmd.xgroup('CREATE', this.key, this.#group, '0', 'MKSTREAM')
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err
    }
    const reply = await this.#read('0', undefined)
    this.#dispatchAll(reply)
  }

  async #readNew(): Promise<void> {
    this.#dispatchAll(await this.#read('>', BLOCK_MS))
  }

  async #read(from: '0' | '>', blockMs: number | undefined): Promise<Entry[]> {
    const block = blockMs === undefined ? [] : ['BLOCK', blockMs]
    const conn = blockMs === undefined ? this.cmd : this.blocking
    const reply = (await conn.call('XREADGROUP', 'GROUP', this.#group, this.#consumer,
      'COUNT', this.slots.free, ...block, 'STREAMS', this.key, from)) as [string, Entry[]][] | null
    return reply?.[0]?.[1] ?? []
  }

  /** XAUTOCLAIM walks the group's pending list a page at a time, resuming where the last call stopped. */
  async #claimIfDue(): Promise<void> {
    if (Date.now() < this.#nextClaimAt) return
    const [cursor, entries] = (await this.cmd.call('XAUTOCLAIM', this.key, this.#group, this.#consumer,
      this.#minIdleMs, this.#claimCursor, 'COUNT', this.slots.free)) as [string, Entry[]]
    this.#claimCursor = cursor
    if (cursor === '0-0') this.#nextClaimAt = Date.now() + this.#minIdleMs / 2
    if (entries.length > 0) this.logger.info({ key: this.key, jobs: entries.length }, 'reclaimed stale stream entries')
    this.#dispatchAll(entries)
  }

  #dispatchAll(entries: readonly Entry[]): void {
    for (const [id, fields] of entries) {
      // Entries deleted from the stream while pending come back without fields: nothing to route.
      if (fields === null) void this.ackRaw(id).catch(() => {})
      else if (!this.#working.has(id)) this.#dispatch(id, fields)
    }
  }

  #dispatch(entryId: string, fields: readonly string[]): void {
    this.slots.take(1)
    this.#working.add(entryId)
    const job = entryToJob(entryId, fields)
    this.deliver!(job)
      .catch((err: unknown) => this.logger.error({ err, jobId: job.id }, 'job delivery failed unexpectedly'))
      .finally(() => {
        this.#working.delete(entryId)
        this.slots.release()
      })
  }
}

/** A stream entry as a job: the `body` field, or every field but `id` as a JSON object. */
export function entryToJob(entryId: string, fields: readonly string[]): Job {
  const f = fieldsToObject(fields)
  const { id, body, ...rest } = f
  const text = typeof body === 'string' ? body : JSON.stringify(rest)
  const data = parseBody(text)
  const given = typeof id === 'string' && id.length > 0 ? id : undefined
  return makeJob(text, entryId, data, given ?? bodyId(data) ?? entryId)
}

function fieldsToObject(flat: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1]
  return out
}
