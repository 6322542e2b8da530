import { open } from 'node:fs/promises'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { stringMap, type ShardedMap } from '../util/sharded-map.js'
import { stampOf, type FileStamp } from './sources.js'

/** A group's members: its `users`, then its usersFile's ids, without duplicates. */
export interface GroupMembers {
  /** Frozen, in order: a million ids are never copied again downstream. */
  readonly ids: readonly string[]
  /** The file's stat when it was read (see sources.ts). */
  readonly stamp: FileStamp
}

/** Ids handled between two turns of the event loop: a few milliseconds of work at most. */
const IDS_PER_SLICE = 4_096

/**
 * Read a usersFile: one id per line, surrounding blanks trimmed, empty lines and `#` comments
 * skipped, `inline` (the group's `users`) first. Streamed in chunks with a turn of the event loop
 * between slices, so a file of a million lines is read in steps of a few milliseconds while requests
 * keep being served (GC pauses aside: see bench/README.md). Rejects with the fs error when the file
 * cannot be read.
 */
export async function readGroupMembers(file: string, inline: readonly string[]): Promise<GroupMembers> {
  const fh = await open(file, 'r')
  try {
    const stamp = stampOf(await fh.stat({ bigint: true }))
    // Ids are rarely shorter than 8 bytes with their newline: enough to size the duplicate filter.
    const members = new MemberList(inline, Number(stamp.size) / 8)
    let partial: string[] = []
    for await (const chunk of fh.createReadStream({ encoding: 'utf8', autoClose: false })) {
      const text = chunk as string
      const end = text.lastIndexOf('\n')
      // A line longer than a chunk: keep the pieces, join them once its end arrives.
      if (end === -1) { partial.push(text); continue }
      await members.addLines(partial.join('') + text.slice(0, end))
      partial = [text.slice(end + 1)]
    }
    await members.addLines(partial.join(''))
    return { ids: Object.freeze(members.ids), stamp }
  } finally {
    await fh.close()
  }
}

class MemberList {
  readonly ids: string[] = []
  /** Sharded for big files: one Set of a million ids would block the loop while it rehashes. */
  readonly #seen: Map<string, true> | ShardedMap<true>

  constructor(inline: readonly string[], expected: number) {
    this.#seen = stringMap<true>(expected + inline.length)
    for (const id of inline) this.#add(id)
  }

  async addLines(text: string): Promise<void> {
    const lines = text.split('\n')
    for (let i = 0; i < lines.length; i += IDS_PER_SLICE) {
      if (i > 0) await yieldToLoop()
      for (const line of lines.slice(i, i + IDS_PER_SLICE)) {
        const id = line.trim()
        if (id !== '' && !id.startsWith('#')) this.#add(id)
      }
    }
  }

  #add(id: string): void {
    if (this.#seen.has(id)) return
    this.#seen.set(id, true)
    this.ids.push(id)
  }
}
