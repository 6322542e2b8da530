import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ChainableCommander, Redis } from 'ioredis'

/**
 * The store's Lua scripts, read from `lua/` next to this module at run time: `src/state/redis/lua` under
 * vitest, `dist/state/redis/lua` when built (tsc does not copy .lua files, so the build copies the
 * folder). Each file is `verb-<nkeys>.lua` (bullmq's convention) and opens with its KEYS/ARGV;
 * the number of keys is taken from the file name, so it is written in one place only.
 */
export const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url))

const SCRIPT_FILES = {
  update: 'update-2.lua',
  setMember: 'set-member-1.lua',
  restore: 'restore-2.lua',
  acquireLease: 'acquire-lease-1.lua',
  releaseLease: 'release-lease-1.lua',
} as const

export type ScriptName = keyof typeof SCRIPT_FILES
export type ScriptArg = string | number

/** Runs one of the scripts on the connection it was defined on (EVALSHA, EVAL after NOSCRIPT). */
export type RunScript = (name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>

interface ScriptSource {
  readonly lua: string
  readonly numberOfKeys: number
}

/** The scripts' sources, read once per process. */
export type ScriptSet = ReadonlyMap<ScriptName, ScriptSource>

let sources: ScriptSet | undefined

/** Every script file name, for the test that checks the folder and the headers. */
export function scriptFiles(): readonly string[] {
  return Object.values(SCRIPT_FILES)
}

/** `verb-<nkeys>.lua` → nkeys. */
export function keysOf(file: string): number {
  const m = /-(\d+)\.lua$/.exec(file)
  if (!m) throw new Error(`Lua script ${file} is not named verb-<nkeys>.lua`)
  return Number(m[1])
}

/** Read every script (once); throws a message naming the missing build step when one is absent. */
export function loadScripts(): ScriptSet {
  if (sources) return sources
  const read = new Map<ScriptName, ScriptSource>()
  for (const [name, file] of Object.entries(SCRIPT_FILES) as Array<[ScriptName, string]>) {
    let lua: string
    try {
      lua = readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8')
    } catch (err) {
      throw new Error(`the Redis state store's Lua script ${file} is missing from ${LUA_DIR} (the build must copy src/state/redis/lua to dist/state/redis/lua): ${(err as Error).message}`, { cause: err })
    }
    read.set(name, { lua, numberOfKeys: keysOf(file) })
  }
  return (sources = read)
}

/** ioredis turns a defined command into a method; prefixed so no Redis command name (RESTORE) is shadowed. */
function commandName(name: ScriptName): string {
  return `sluice${name[0]!.toUpperCase()}${name.slice(1)}`
}

/** Define every script on `redis` (ioredis caches the SHA and re-sends the source after NOSCRIPT). */
export function defineScripts(redis: Redis, scripts: ScriptSet): RunScript {
  for (const [name, source] of scripts) redis.defineCommand(commandName(name), source)
  const methods = redis as unknown as Record<string, (...args: ScriptArg[]) => Promise<unknown>>
  return (name, keys, args) => methods[commandName(name)]!.call(redis, ...keys, ...args)
}

/** Queue one of the scripts (defined on the connection the pipeline came from) on a pipeline. */
export function queueScript(
  pipeline: ChainableCommander, name: ScriptName, keys: readonly string[], args: readonly ScriptArg[],
): void {
  const methods = pipeline as unknown as Record<string, (...args: ScriptArg[]) => unknown>
  methods[commandName(name)]!.call(pipeline, ...keys, ...args)
}
