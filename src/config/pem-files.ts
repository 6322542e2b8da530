import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { entries, field, fsReason } from './data-walk.js'
import type { Finding, KeyPath } from './problem.js'
import { stampOf, type FileStamp } from './sources.js'

/** The backends' TLS files (`tls.ca`, `tls.cert`, `tls.key`) and the listener's, read at every load and reload. */
export interface PemFiles {
  /** Absolute path → PEM text. */
  readonly texts: ReadonlyMap<string, string>
  /** Absolute path → stat when read; null when it could not be read. */
  readonly stamps: ReadonlyMap<string, FileStamp | null>
  readonly findings: readonly Finding[]
}

const TLS_FILE_KEYS = ['ca', 'cert', 'key'] as const

/** Read every TLS file the routes' backends name (relative to the config file's directory). */
export async function readPemFiles(data: unknown, baseDir: string): Promise<PemFiles> {
  const texts = new Map<string, string>()
  const stamps = new Map<string, FileStamp | null>()
  const findings: Finding[] = []
  await Promise.all(pemFileRefs(data).map(async ({ path, name }) => {
    const file = resolve(baseDir, name)
    try {
      const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file, { bigint: true })])
      stamps.set(file, stampOf(st))
      if (!text.includes('-----BEGIN ')) findings.push({ path, message: `'${name}' is not a PEM file (no -----BEGIN line)` })
      else texts.set(file, text)
    } catch (err) {
      stamps.set(file, null)
      findings.push({ path, message: `cannot read '${name}': ${fsReason(err)}` })
    }
  }))
  return { texts, stamps, findings }
}

interface PemFileRef {
  readonly path: KeyPath
  readonly name: string
}

/** Every tls file name of every backend object (`routes.N.old[.M].tls.ca` …), with its key path. */
function pemFileRefs(data: unknown): PemFileRef[] {
  const refs: PemFileRef[] = [...listenerRefs(field(field(data, 'listen'), 'tls'))]
  entries(field(data, 'routes')).forEach(([i, route]) => {
    for (const side of ['old', 'new'] as const) {
      const value = field(route, side)
      const list: [KeyPath, unknown][] = Array.isArray(value)
        ? value.map((b, j) => [['routes', i, side, j], b])
        : [[['routes', i, side], value]]
      for (const [at, backend] of list) refs.push(...tlsRefs(at, field(backend, 'tls')))
    }
  })
  return refs
}

/** The data plane's own `listen.tls.cert` and `.key`. */
function listenerRefs(tls: unknown): PemFileRef[] {
  return (['cert', 'key'] as const).flatMap((key) => {
    const name = field(tls, key)
    return typeof name === 'string' ? [{ path: ['listen', 'tls', key], name }] : []
  })
}

function tlsRefs(at: KeyPath, tls: unknown): PemFileRef[] {
  return TLS_FILE_KEYS.flatMap((key) => {
    const name = field(tls, key)
    return typeof name === 'string' ? [{ path: [...at, 'tls', key], name }] : []
  })
}
