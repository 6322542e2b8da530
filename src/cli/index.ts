import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { VERSION } from '../util/version.js'
import type { CliOptions, CommandSpec } from './command.js'
import { EXIT } from './exit-codes.js'
import { commandHelp, usage } from './help.js'
import { processIo, type Io } from './io.js'
import { OPTIONS, type OptionName } from './options.js'
import { COMMANDS } from './specs.js'

export const USAGE = usage(COMMANDS)

/**
 * `sluice <command> [args] [options]`: the command comes first; each command takes only the options
 * its spec lists (specs.ts), so `status --replicas 3` is an error rather than silently ignored.
 */
export async function run(
  argv: readonly string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env, stopped?: Promise<void>,
): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) { io.out(USAGE); return EXIT.refused }
  if (name === '--version' || name === '-v') { io.out(VERSION); return EXIT.ok }
  if (name === '--help' || name === '-h') { io.out(USAGE); return EXIT.ok }
  if (name === 'help') return help(rest[0], io)
  const spec = COMMANDS[name]
  if (!spec) {
    io.err(name.startsWith('-') ? `sluice: the command comes first, then its options: sluice <command> ${name} …\n\n${USAGE}` : `sluice: unknown command '${name}'\n\n${USAGE}`)
    return EXIT.refused
  }
  const parsed = parse(name, spec, rest, io)
  if (parsed === undefined) return EXIT.refused
  const { values, positionals } = parsed
  if (values.help === true) { io.out(commandHelp(name, spec)); return EXIT.ok }
  const output = typeof values.output === 'string' ? values.output : 'table'
  if (output !== 'table' && output !== 'json') { io.err(`sluice ${name}: --output must be table or json, not '${output}'`); return EXIT.refused }
  const adminCa = await readAdminCa(name, spec, values, env, io)
  if (adminCa === false) return EXIT.refused
  return spec.run(positionals, { ...options(values, env, output), adminCa, ...(stopped ? { stopped } : {}) }, io)
}

/**
 * The PEM text of --cacert (or SLUICE_ADMIN_CACERT), for the commands that take it: a CA file set
 * in the environment for the CLI must not stop `start`. false = it cannot be read (said on stderr).
 */
async function readAdminCa(
  name: string, spec: CommandSpec, values: Values, env: NodeJS.ProcessEnv, io: Io,
): Promise<string | undefined | false> {
  if (!spec.options.includes('cacert')) return undefined
  const file = typeof values.cacert === 'string' ? values.cacert : env.SLUICE_ADMIN_CACERT || undefined
  if (file === undefined) return undefined
  try {
    return await readFile(file, 'utf8')
  } catch (err) {
    io.err(`sluice ${name}: cannot read --cacert ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    return false
  }
}

function help(name: string | undefined, io: Io): number {
  if (name === undefined) { io.out(USAGE); return EXIT.ok }
  const spec = COMMANDS[name]
  if (!spec) { io.err(`sluice: unknown command '${name}'\n\n${USAGE}`); return EXIT.refused }
  io.out(commandHelp(name, spec))
  return EXIT.ok
}

type Values = Record<string, string | boolean | undefined>

function parse(
  name: string, spec: CommandSpec, args: readonly string[], io: Io,
): { values: Values; positionals: string[] } | undefined {
  const allowed: OptionName[] = [...spec.options, 'help']
  try {
    const options = Object.fromEntries(allowed.map((o) => [o, OPTIONS[o]]))
    const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, strict: true, options })
    return { values: values as Values, positionals }
  } catch (err) {
    io.err(`sluice ${name}: ${argumentProblem(err as Error & { code?: string })} (sluice ${name} --help lists its options)`)
    return undefined
  }
}

/** parseArgs' messages explain its own syntax at length; say what is wrong in a few words. */
function argumentProblem(err: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(err.message)?.[1]
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option '${option}'`
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return `option '${option}' needs a value`
  return err.message
}

function options(values: Values, env: NodeJS.ProcessEnv, output: 'table' | 'json'): Omit<CliOptions, 'adminCa'> {
  const text = (k: OptionName) => (typeof values[k] === 'string' ? values[k] : undefined)
  return {
    config: text('config') ?? env.SLUICE_CONFIG,
    admin: text('admin') ?? env.SLUICE_ADMIN_URL ?? 'http://127.0.0.1:8081',
    token: text('token') ?? env.SLUICE_ADMIN_TOKEN,
    output,
    reason: text('reason'),
    duration: text('duration'),
    timeout: text('timeout'),
    watch: values.watch === true,
    replicas: text('replicas'),
    redis: text('redis'),
    url: text('url'),
  }
}
