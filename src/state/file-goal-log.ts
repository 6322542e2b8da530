import { mkdir, open, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { SluiceError } from '../util/errors.js'
import { decodeChunk, encodeChunk, type GoalChunk, type GoalLog } from './goal-log.js'

/** Chunks returned per read: a long log is replayed in bounded bites. */
const READ_CHUNKS = 20

/**
 * The goal log of a single process with a state file: one file per route and rollout in a
 * directory beside the state file (`STATEFILE.goals/ROUTE.ROLLOUTSTART.log`), each chunk prefixed
 * with its length. Appended once a second and not fsynced: goal counts are figures, not state, and
 * a crash loses at most the last second of them. A route keeps only its current rollout's file:
 * appending to a new rollout removes the route's older ones. Byte offsets of the chunks are indexed
 * in memory (8 bytes a chunk), so a read costs one positioned read of the new chunks.
 */
export class FileGoalLog implements GoalLog {
  readonly #offsets = new Map<string, number[]>()
  #ready: Promise<void> | undefined

  constructor(private readonly dir: string) {}

  async append(route: string, rolloutStart: number, chunk: GoalChunk): Promise<void> {
    await this.#dir()
    const name = fileName(route, rolloutStart)
    const offsets = await this.#index(name)
    if (offsets.length === 0) await this.#dropOthers(route, name)
    const body = encodeChunk(chunk)
    const head = Buffer.alloc(4)
    head.writeUInt32LE(body.length, 0)
    const file = await open(join(this.dir, name), 'a')
    try {
      const { size } = await file.stat()
      await file.write(Buffer.concat([head, body]))
      offsets.push(size)
    } catch (err) {
      throw failed(err)
    } finally {
      await file.close()
    }
  }

  async read(route: string, rolloutStart: number, from: number): Promise<{ chunks: GoalChunk[]; next: number }> {
    const name = fileName(route, rolloutStart)
    const offsets = await this.#index(name)
    const to = Math.min(offsets.length, from + READ_CHUNKS)
    if (from >= to) return { chunks: [], next: from }
    const file = await open(join(this.dir, name), 'r').catch((err: unknown) => { throw failed(err) })
    try {
      const end = to < offsets.length ? offsets[to]! : (await file.stat()).size
      const buf = Buffer.alloc(end - offsets[from]!)
      await file.read(buf, 0, buf.length, offsets[from]!)
      const chunks: GoalChunk[] = []
      for (let at = 0; at + 4 <= buf.length;) {
        const len = buf.readUInt32LE(at)
        const c = decodeChunk(buf.subarray(at + 4, at + 4 + len))
        if (c) chunks.push(c)
        at += 4 + len
      }
      return { chunks, next: to }
    } finally {
      await file.close()
    }
  }

  /** The chunk offsets of one file, read once from the file (none for a missing file). */
  async #index(name: string): Promise<number[]> {
    let offsets = this.#offsets.get(name)
    if (offsets) return offsets
    offsets = []
    const file = await open(join(this.dir, name), 'r').catch(() => undefined)
    if (file) {
      try {
        const { size } = await file.stat()
        const head = Buffer.alloc(4)
        for (let at = 0; at + 4 <= size;) {
          await file.read(head, 0, 4, at)
          const len = head.readUInt32LE(0)
          if (at + 4 + len > size) break // a chunk cut short by a crash: the rest is not trusted
          offsets.push(at)
          at += 4 + len
        }
      } finally {
        await file.close()
      }
    }
    this.#offsets.set(name, offsets)
    return offsets
  }

  async #dropOthers(route: string, keep: string): Promise<void> {
    const prefix = `${encodeURIComponent(route)}.`
    for (const f of await readdir(this.dir)) {
      if (f !== keep && f.startsWith(prefix) && f.endsWith('.log')) {
        await rm(join(this.dir, f), { force: true })
        this.#offsets.delete(f)
      }
    }
  }

  #dir(): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true }).then(
      () => undefined,
      (err: unknown) => { this.#ready = undefined; throw failed(err) },
    )
    return this.#ready
  }
}

function fileName(route: string, rolloutStart: number): string {
  return `${encodeURIComponent(route)}.${rolloutStart}.log`
}

function failed(err: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_STATE_STORE', `the goal log could not be written: ${(err as Error).message}`, { cause: err })
}
