import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { TimeSlice } from '../util/time-slice.js'
import { stateFileProblems } from './state-schema.js'
import type { GroupEdits, HistoryEvent, TargetLive } from './store.js'

/** What the memory store writes to `state.file`. Bump `format` on an incompatible change. */
export interface PersistedState {
  readonly format: 1
  readonly savedAt: number
  readonly targets: Readonly<Record<string, TargetLive>>
  readonly history: Readonly<Record<string, readonly HistoryEvent[]>>
  readonly members?: Readonly<Record<string, Readonly<Record<string, {
    readonly added: readonly string[]; readonly removed: readonly string[]
  }>>>>
}

/**
 * The live state to write as the memory store holds it: maps, which `writeStateFile` serialises an
 * entry at a time in time slices. Made into a `PersistedState` first, 10,000 targets would be one
 * long synchronous turn before the first byte is written. The file is the same either way.
 */
export interface StateMaps {
  readonly savedAt: number
  readonly targets: ReadonlyMap<string, TargetLive>
  readonly history: ReadonlyMap<string, readonly HistoryEvent[]>
  readonly members: ReadonlyMap<string, ReadonlyMap<string, GroupEdits>>
}

export type ReadResult =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly state: PersistedState }
  /** The file was unreadable or corrupt and has been moved aside to `movedTo` (never overwritten). */
  | { readonly kind: 'corrupt'; readonly reason: string; readonly movedTo: string | undefined }

/**
 * Read the state file; a corrupt one (not JSON, or any field failing state-schema.ts) is renamed to
 * `FILE.corrupt-<time>` so nothing is silently lost, and the reason names every wrong field.
 */
export async function readStateFile(path: string, now: number): Promise<ReadResult> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'corrupt', reason: `cannot read: ${(err as Error).message}`, movedTo: undefined }
  }
  const problem = checkState(text)
  if (typeof problem !== 'string') return { kind: 'ok', state: problem }
  const movedTo = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`
  try {
    await rename(path, movedTo)
    return { kind: 'corrupt', reason: problem, movedTo }
  } catch (err) {
    return { kind: 'corrupt', reason: `${problem}; and it could not be moved aside: ${(err as Error).message}`, movedTo: undefined }
  }
}

function checkState(text: string): PersistedState | string {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    return `not JSON: ${(err as Error).message}`
  }
  if (parsed === null || typeof parsed !== 'object' || (parsed as { format?: unknown }).format !== 1) return 'not a sluice state file (format 1)'
  return stateFileProblems(parsed) ?? (parsed as PersistedState)
}

/**
 * Write atomically: a temp file in the same directory, fsync, rename over the old file, fsync the
 * directory. A crash at any point leaves either the old or the new file, never half of one.
 */
export async function writeStateFile(path: string, state: PersistedState | StateMaps): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  const fh = await open(tmp, 'w', 0o600)
  try {
    try {
      await writeJson(fh, state)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    // A full disk or a failed rename must not leave a temp file behind for every refused change.
    await rm(tmp, { force: true }).catch(() => undefined)
    throw err
  }
  await syncDir(dirname(path))
}

/** JSON gathered before a write (characters): large enough that a write's fixed cost is small. */
const CHARS_PER_WRITE = 256 * 1024

type Entries = Iterable<readonly [string, unknown]>

/**
 * `JSON.stringify(state)` an entry at a time, in time slices, written a few hundred KB at a time:
 * 10,000 targets with their histories are megabytes, and one stringify of them would hold the event
 * loop for 100 ms and more. The maps handed in do not change while this runs (the memory store
 * writes copies, and serialises its changes).
 */
async function writeJson(fh: FileHandle, state: PersistedState | StateMaps): Promise<void> {
  const slice = new TimeSlice()
  let text = `{"format":1,"savedAt":${JSON.stringify(state.savedAt)}`
  for (const [field, entries] of fieldsOf(state)) {
    if (entries === undefined) continue
    text += `,${JSON.stringify(field)}:{`
    let first = true
    for (const [key, value] of entries) {
      await slice.pass()
      if (value === undefined) continue // as JSON.stringify leaves such a key out
      text += `${first ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(value)}`
      first = false
      if (text.length >= CHARS_PER_WRITE) {
        await fh.writeFile(text) // from the current position: appends
        text = ''
      }
    }
    text += '}'
  }
  await fh.writeFile(`${text}}`)
}

/** The top-level maps in the file's order; members (optional in a PersistedState) left out when absent. */
function fieldsOf(state: PersistedState | StateMaps): [string, Entries | undefined][] {
  if ('format' in state) {
    return [
      ['targets', recordEntries(state.targets)],
      ['history', recordEntries(state.history)],
      ['members', state.members && recordEntries(state.members)],
    ]
  }
  return [['targets', state.targets], ['history', state.history], ['members', memberEntries(state.members)]]
}

/** A record's entries in `Object.keys` order, which is the order JSON.stringify writes. */
function* recordEntries(record: Readonly<Record<string, unknown>>): Entries {
  for (const key of Object.keys(record)) yield [key, record[key]]
}

/**
 * Each target's group edits as the file has them: `{group: {added: [...], removed: [...]}}`. A map's
 * keys in insertion order are the record's `Object.keys` order too: target keys (`kind/name`) are
 * never array indexes, and the groups are made a record here exactly as before.
 */
function* memberEntries(members: StateMaps['members']): Entries {
  for (const [key, groups] of members) {
    yield [key, Object.fromEntries([...groups].map(([g, e]) => [g, { added: [...e.added], removed: [...e.removed] }]))]
  }
}

async function syncDir(dir: string): Promise<void> {
  let fh
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await fh?.close()
  }
}
