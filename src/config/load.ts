import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { interpolate, type Env } from './interpolate.js'
import { normalize } from './normalize.js'
import { pathText, sortProblems, type Finding, type KeyPath, type Problem } from './problem.js'
import type { Config } from './types.js'
import { validate } from './validate.js'
import { locate, parseYaml, problemAt } from './yaml-source.js'

/**
 * Loading a configuration: the only file I/O of config/ (the file itself and the groups'
 * `usersFile`s). Never throws for anything the user got wrong: every such thing is a Problem.
 */
export type LoadResult =
  | { readonly ok: true; readonly config: Config; /** sha256 (hex) of the file's text, before interpolation. */ readonly hash: string }
  | { readonly ok: false; readonly problems: readonly Problem[] }

/** `Config.file` of a configuration that was given as text rather than read from a file. */
export const MEMORY_FILE = '<memory>'

interface LoadOptions {
  /** The file as the user named it: what problems print. */
  readonly label: string
  readonly file: string
  readonly baseDir: string
  readonly env: Env
}

/**
 * Read, interpolate, parse, validate and normalise the configuration file at `path` (relative
 * to the working directory). Problems print `path` exactly as given.
 */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadResult> {
  const file = resolve(path)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    return failed([{ file: path, line: 1, col: 1, path: '', message: `cannot read the file: ${fsReason(err)}` }])
  }
  return loadText(text, { label: path, file, baseDir: dirname(file), env })
}

/**
 * The same for a configuration held in memory (tests, `sluice demo`). `fileLabel` is what
 * problems print; relative `usersFile`s and `state.file` resolve against `baseDir` (default: cwd).
 */
export async function loadConfigText(text: string, fileLabel: string, env: NodeJS.ProcessEnv = process.env, baseDir?: string): Promise<LoadResult> {
  return loadText(text, { label: fileLabel, file: MEMORY_FILE, baseDir: resolve(baseDir ?? '.'), env })
}

async function loadText(text: string, opts: LoadOptions): Promise<LoadResult> {
  const parsed = parseYaml(text, opts.label)
  // After a syntax error the document's structure is a guess: schema errors would only add noise.
  if (parsed.problems.length > 0) return failed(parsed.problems)
  const { source } = parsed
  const unset = interpolate(source.doc.contents, opts.env)
  let data: unknown
  try {
    data = source.doc.toJS()
  } catch (err) {
    // e.g. the yaml package's guard against alias bombs
    return failed([problemAt(source, 0, '', `invalid YAML: ${(err as Error).message}`)])
  }
  // A value left un-interpolated would also fail its own check; report only the missing variable.
  const blocked = new Set(unset.map((f) => pathText(f.path)))
  const checked = validate(data, source, blocked)
  const users = await readUsersFiles(data, opts.baseDir)
  const problems = [...unset, ...users.findings].map((f) => locate(source, f)).concat(checked)
  if (problems.length > 0) return failed(problems)
  const config = normalize(data, { file: opts.file, baseDir: opts.baseDir, env: opts.env, usersFiles: users.texts })
  return { ok: true, config, hash: createHash('sha256').update(text).digest('hex') }
}

function failed(problems: readonly Problem[]): LoadResult {
  return { ok: false, problems: sortProblems(problems) }
}

interface UsersFiles {
  readonly texts: ReadonlyMap<string, string>
  readonly findings: readonly Finding[]
}

/** Read every group's `usersFile` (relative to the config file's directory), in parallel. */
async function readUsersFiles(data: unknown, baseDir: string): Promise<UsersFiles> {
  const texts = new Map<string, string>()
  const findings: Finding[] = []
  await Promise.all(usersFileRefs(data).map(async ({ path, name }) => {
    const file = resolve(baseDir, name)
    try {
      texts.set(file, await readFile(file, 'utf8'))
    } catch (err) {
      findings.push({ path, message: `cannot read '${name}': ${fsReason(err)}` })
    }
  }))
  return { texts, findings }
}

/** Every `usersFile` string in the routes' and queues' groups, with its key path. */
function usersFileRefs(data: unknown): { path: KeyPath; name: string }[] {
  const refs: { path: KeyPath; name: string }[] = []
  for (const list of ['routes', 'queues'] as const) {
    entries(field(data, list)).forEach(([i, target]) => {
      for (const [group, g] of entries(field(target, 'groups'))) {
        const name = field(g, 'usersFile')
        if (typeof name === 'string') refs.push({ path: [list, i, 'groups', group, 'usersFile'], name })
      }
    })
  }
  return refs
}

function field(v: unknown, key: string): unknown {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined
}

/** Entries of a list (index keys) or a mapping; nothing for anything else. */
function entries(v: unknown): [string | number, unknown][] {
  if (Array.isArray(v)) return v.map((item, i) => [i, item])
  return v !== null && typeof v === 'object' ? Object.entries(v) : []
}

/** "ENOENT: no such file or directory, open '/abs/x.yaml'" → "ENOENT: no such file or directory". */
function fsReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.replace(/, \w+( '.*')?$/, '')
}
