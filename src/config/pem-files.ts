import { readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { createSecureContext } from 'node:tls'
import { entries, field, fsReason } from './data-walk.js'
import type { Finding, KeyPath } from './problem.js'
import { stampOf, type FileStamp } from './sources.js'

/** The backends' TLS files (`tls.ca`, `tls.cert`, `tls.key`) and the listeners', read at every load and reload. */
export interface PemFiles {
  /** Absolute path → PEM text. */
  readonly texts: ReadonlyMap<string, string>
  /** Absolute path → stat when read; null when it could not be read. */
  readonly stamps: ReadonlyMap<string, FileStamp | null>
  readonly findings: readonly Finding[]
}

const TLS_FILE_KEYS = ['ca', 'cert', 'key'] as const

/** Read every TLS file the listeners and the routes' backends name (relative to the config file's directory). */
export async function readPemFiles(data: unknown, baseDir: string): Promise<PemFiles> {
  const texts = new Map<string, string>()
  const stamps = new Map<string, FileStamp | null>()
  const findings: Finding[] = []
  const blocks = tlsBlocks(data)
  await Promise.all(blocks.flatMap(fileRefs).map(async ({ path, name }) => {
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
  for (const block of blocks) {
    const problem = pairProblem(block.tls, (name) => texts.get(resolve(baseDir, name)))
    if (problem !== undefined) findings.push({ path: block.path, message: problem })
  }
  return { texts, stamps, findings }
}

/** One `tls` mapping of the config: a listener's (`listen.tls`, `admin.listen.tls`) or a backend's. */
interface TlsBlock {
  readonly path: KeyPath
  readonly tls: unknown
}

interface PemFileRef {
  readonly path: KeyPath
  readonly name: string
}

/** Every `tls` mapping: both listeners, then every backend object (`routes.N.old[.M].tls` …). */
function tlsBlocks(data: unknown): TlsBlock[] {
  const blocks: TlsBlock[] = [
    { path: ['listen', 'tls'], tls: field(field(data, 'listen'), 'tls') },
    { path: ['admin', 'listen', 'tls'], tls: field(field(field(data, 'admin'), 'listen'), 'tls') },
  ]
  entries(field(data, 'routes')).forEach(([i, route]) => {
    for (const side of ['old', 'new'] as const) {
      const value = field(route, side)
      const list: [KeyPath, unknown][] = Array.isArray(value)
        ? value.map((b, j) => [['routes', i, side, j], b])
        : [[['routes', i, side], value]]
      for (const [at, backend] of list) blocks.push({ path: [...at, 'tls'], tls: field(backend, 'tls') })
    }
  })
  return blocks.filter((b) => b.tls !== undefined)
}

function fileRefs({ path, tls }: TlsBlock): PemFileRef[] {
  return TLS_FILE_KEYS.flatMap((key) => {
    const name = field(tls, key)
    return typeof name === 'string' ? [{ path: [...path, key], name }] : []
  })
}

/**
 * A cert and its key must make a certificate Node can use (not the key of another certificate,
 * not a truncated file): found now, at its key, rather than by a listener at start or mid-reload,
 * or by every connection to a backend.
 */
function pairProblem(tls: unknown, text: (name: string) => string | undefined): string | undefined {
  const [certName, keyName] = [field(tls, 'cert'), field(tls, 'key')]
  if (typeof certName !== 'string' || typeof keyName !== 'string') return undefined
  const [cert, key] = [text(certName), text(keyName)]
  if (cert === undefined || key === undefined) return undefined
  try {
    createSecureContext({ cert, key })
    return undefined
  } catch (err) {
    return `cert and key do not make a usable certificate: ${(err as Error).message}`
  }
}
