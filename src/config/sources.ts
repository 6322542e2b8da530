import { createHash } from 'node:crypto'
import { createReadStream, type BigIntStats } from 'node:fs'
import { stat } from 'node:fs/promises'

/**
 * What a loaded configuration was read from, cheap to compare again: a reload first checks these
 * and parses nothing when they are the same (the 30 s safety-net re-read costs one hash of the
 * config file and one stat per users file, however long the users files are).
 */
export interface ConfigSources {
  /** sha256 (hex) of the config file's bytes. */
  readonly hash: string
  /** Every `usersFile` the config names (absolute path) → its stat when read; null = it could not be read. */
  readonly usersFiles: ReadonlyMap<string, FileStamp | null>
}

/**
 * Enough of a stat to see any replacement or edit: a rename-into-place changes the inode, an
 * in-place write the size or the modification time (nanoseconds where the filesystem has them).
 */
export interface FileStamp {
  readonly dev: bigint
  readonly ino: bigint
  readonly size: bigint
  readonly mtimeNs: bigint
  readonly ctimeNs: bigint
}

export function stampOf(st: BigIntStats): FileStamp {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs }
}

/** sha256 (hex) of a file's bytes, read in chunks so a big file never holds the event loop. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** True when the config file at `path` and every users file are exactly as `prev` recorded them. Any error: false. */
export async function sourcesUnchanged(path: string, prev: ConfigSources): Promise<boolean> {
  try {
    if (await hashFile(path) !== prev.hash) return false
    for (const [file, stamp] of prev.usersFiles) {
      if (!sameStamp(await currentStamp(file), stamp)) return false
    }
    return true
  } catch {
    return false
  }
}

async function currentStamp(file: string): Promise<FileStamp | null> {
  try {
    return stampOf(await stat(file, { bigint: true }))
  } catch {
    return null
  }
}

function sameStamp(a: FileStamp | null, b: FileStamp | null): boolean {
  if (a === null || b === null) return a === b
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs
}
