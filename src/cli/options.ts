/**
 * Every option the CLI knows, once: its parseArgs type, its argument's name and its help line.
 * Each command lists the ones it takes (specs.ts), so `--help` shows exactly those, an option a
 * command does not take is an error, and the shell completions offer the right ones.
 */
export interface OptionSpec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  /** The argument's placeholder in help (string options). */
  readonly arg?: string
  readonly help: string
}

export const OPTIONS = {
  config: { type: 'string', short: 'c', arg: 'FILE', help: 'the config file (default: SLUICE_CONFIG)' },
  admin: { type: 'string', arg: 'URL', help: 'the admin plane (default: SLUICE_ADMIN_URL, else http://127.0.0.1:8081)' },
  token: { type: 'string', arg: 'TOKEN', help: 'bearer token for the admin API (default: SLUICE_ADMIN_TOKEN)' },
  cacert: { type: 'string', arg: 'FILE', help: 'an https admin plane: trust the CA in this PEM file (default: SLUICE_ADMIN_CACERT; else the system CAs and NODE_EXTRA_CA_CERTS)' },
  output: { type: 'string', short: 'o', arg: 'table|json', help: 'print a table (default) or JSON' },
  reason: { type: 'string', arg: 'TEXT', help: 'why, kept in the history' },
  timeout: { type: 'string', arg: 'DURATION', help: 'give up after this long (e.g. 30m, 1h30m; default 1h)' },
  watch: { type: 'boolean', short: 'w', help: 'redraw every 2 s until Ctrl-C' },
  duration: { type: 'string', arg: 'DURATION', help: 'stop after this long (default: until Ctrl-C)' },
  replicas: { type: 'string', arg: 'N', help: 'run N replicas sharing one Redis' },
  redis: { type: 'string', arg: 'URL', help: 'with --replicas: this Redis instead of a private redis-server' },
  url: { type: 'string', arg: 'URL', help: 'the health URL (default: ADMIN/healthz)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const satisfies Readonly<Record<string, OptionSpec>>

export type OptionName = keyof typeof OPTIONS

/** The options of every command that talks to the admin plane. */
export const ADMIN_OPTIONS: readonly OptionName[] = ['admin', 'token', 'cacert', 'output']
