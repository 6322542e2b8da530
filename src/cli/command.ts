import type { Io } from './io.js'
import type { OptionName } from './options.js'

/** The parsed options a command runs with (only those its spec lists can be set). */
export interface CliOptions {
  config: string | undefined
  admin: string
  token: string | undefined
  /** PEM text of --cacert / SLUICE_ADMIN_CACERT: the CA an https admin plane's certificate is checked against. */
  adminCa: string | undefined
  output: 'table' | 'json'
  reason: string | undefined
  duration: string | undefined
  timeout: string | undefined
  /** status, wait: redraw until Ctrl-C (or the end of the rollout). */
  watch: boolean
  /** demo: run this many replicas sharing one Redis. */
  replicas: string | undefined
  /** demo --replicas: use this Redis instead of starting a private redis-server. */
  redis: string | undefined
  url: string | undefined
  /** Resolves when the user asked the command to stop (Ctrl-C): long-running loops end cleanly. */
  stopped?: Promise<void>
}

/** A CLI command: resolves with the process exit code. */
export type Command = (args: readonly string[], opts: CliOptions, io: Io) => Promise<number>

/** What `sluice CMD --help`, the usage summary and the shell completions say about a command. */
export interface CommandSpec {
  readonly run: Command
  /** One line for the command list. */
  readonly summary: string
  /** The arguments after the command's name, e.g. `NAME PERCENT`; '' when none. */
  readonly args: string
  readonly options: readonly OptionName[]
  /** A real invocation, shown under --help. */
  readonly example: string
  /** Words the first argument may be (users: add, remove, list; completion: bash, zsh, fish). */
  readonly verbs?: readonly string[]
}
