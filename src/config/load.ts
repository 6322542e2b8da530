import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { interpolate, type Env } from './interpolate.js'
import { normalize } from './normalize.js'
import { pathText, sortProblems, type Finding, type KeyPath, type Problem } from './problem.js'
import type { ConfigSources, FileStamp } from './sources.js'
import type { Config } from './types.js'
import { entries, field, fsReason } from './data-walk.js'
import { readPemFiles } from './pem-files.js'
import { readGroupMembers } from './users-file.js'
import { validate, validationFindings } from './validate.js'
import { fastYamlData } from './fast-yaml.js'
import { locate, parseYaml, problemAt } from './yaml-source.js'

/**
 * Loading a configuration: with users-file.ts and sources.ts, the only file I/O of config/ (the
 * file itself and the groups' `usersFile`s). Never throws for anything the user got wrong: every
 * such thing is a Problem.
 */
export type LoadResult =
  | {
    readonly ok: true
    readonly config: Config
    /** sha256 (hex) of the file's bytes, before interpolation (= `sources.hash`). */
    readonly hash: string
    /** What was read, to tell a later reload that nothing changed without parsing (sources.ts). */
    readonly sources: ConfigSources
  }
  /** `sources` is undefined when the file itself could not be read. */
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly sources?: ConfigSources }

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
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    return failed([{ file: path, line: 1, col: 1, path: '', message: `cannot read the file: ${fsReason(err)}` }])
  }
  return loadText(bytes.toString('utf8'), sha256(bytes), { label: path, file, baseDir: dirname(file), env })
}

/**
 * The same for a configuration held in memory (tests, `sluice demo`). `fileLabel` is what
 * problems print; relative `usersFile`s and `state.file` resolve against `baseDir` (default: cwd).
 */
export async function loadConfigText(
  text: string, fileLabel: string, env: NodeJS.ProcessEnv = process.env, baseDir?: string,
): Promise<LoadResult> {
  return loadText(text, sha256(text), { label: fileLabel, file: MEMORY_FILE, baseDir: resolve(baseDir ?? '.'), env })
}

async function loadText(text: string, hash: string, opts: LoadOptions): Promise<LoadResult> {
  return (await loadFast(text, hash, opts)) ?? loadLocated(text, hash, opts)
}

/**
 * A valid file through the fast parse (fast-yaml.ts). Undefined when the fast parse declines the
 * file or anything is wrong with it: the located load then parses again and says where.
 */
async function loadFast(text: string, hash: string, opts: LoadOptions): Promise<LoadResult | undefined> {
  const data = fastYamlData(text)
  if (data === undefined || validationFindings(data).length > 0) return undefined
  const [users, pem] = await Promise.all([readUsersFiles(data, opts.baseDir), readPemFiles(data, opts.baseDir)])
  if (users.findings.length > 0 || pem.findings.length > 0) return undefined
  const sources: ConfigSources = { hash, usersFiles: new Map([...users.stamps, ...pem.stamps]) }
  return { ok: true, config: normalizeLoaded(data, opts, users, pem), hash, sources }
}

/** The load that keeps every node's position, so each problem is reported at its line and column. */
async function loadLocated(text: string, hash: string, opts: LoadOptions): Promise<LoadResult> {
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
  const [users, pem] = await Promise.all([readUsersFiles(data, opts.baseDir), readPemFiles(data, opts.baseDir)])
  // TLS files are stamped with the users files: a reload notices a renewed certificate the same way.
  const sources: ConfigSources = { hash, usersFiles: new Map([...users.stamps, ...pem.stamps]) }
  const problems = [...unset, ...users.findings, ...pem.findings].map((f) => locate(source, f)).concat(checked)
  if (problems.length > 0) return failed(problems, sources)
  return { ok: true, config: normalizeLoaded(data, opts, users, pem), hash, sources }
}

function normalizeLoaded(
  data: unknown, opts: LoadOptions, users: UsersFiles, pem: Awaited<ReturnType<typeof readPemFiles>>,
): Config {
  return normalize(data, {
    file: opts.file, baseDir: opts.baseDir, env: opts.env, groupMembers: users.members, pemFiles: pem.texts,
  })
}

function failed(problems: readonly Problem[], sources?: ConfigSources): LoadResult {
  return { ok: false, problems: sortProblems(problems), ...(sources ? { sources } : {}) }
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex')
}

interface UsersFiles {
  /** Raw group object (of the parsed data) → its members with its usersFile's ids merged in. */
  readonly members: ReadonlyMap<object, readonly string[]>
  /** Absolute path → stat when read; null when it could not be read. */
  readonly stamps: ReadonlyMap<string, FileStamp | null>
  readonly findings: readonly Finding[]
}

/** Read every group's `usersFile` (relative to the config file's directory), in parallel. */
async function readUsersFiles(data: unknown, baseDir: string): Promise<UsersFiles> {
  const members = new Map<object, readonly string[]>()
  const stamps = new Map<string, FileStamp | null>()
  const findings: Finding[] = []
  await Promise.all(usersFileRefs(data).map(async ({ path, name, group, inline }) => {
    const file = resolve(baseDir, name)
    try {
      const read = await readGroupMembers(file, inline)
      members.set(group, read.ids)
      stamps.set(file, read.stamp)
    } catch (err) {
      stamps.set(file, null)
      findings.push({ path, message: `cannot read '${name}': ${fsReason(err)}` })
    }
  }))
  return { members, stamps, findings }
}

interface UsersFileRef {
  readonly path: KeyPath
  readonly name: string
  /** The group's object in the parsed data: what normalize looks the members up by. */
  readonly group: object
  /** The group's own `users` (when a list of strings): they come first. */
  readonly inline: readonly string[]
}

/** Every `usersFile` string in the routes' and queues' groups, with its key path. */
function usersFileRefs(data: unknown): UsersFileRef[] {
  const refs: UsersFileRef[] = []
  for (const list of ['routes', 'queues'] as const) {
    entries(field(data, list)).forEach(([i, target]) => {
      for (const [group, g] of entries(field(target, 'groups'))) {
        const name = field(g, 'usersFile')
        if (typeof name === 'string') refs.push({ path: [list, i, 'groups', group, 'usersFile'], name, group: g as object, inline: stringList(field(g, 'users')) })
      }
    })
  }
  return refs
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}
