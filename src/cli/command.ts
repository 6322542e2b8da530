import type { Io } from './io.js'

/** Options every command may take; each command reads the ones it needs. */
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
  /** demo: run this many replicas sharing one Redis. */
  replicas: string | undefined
  /** demo --replicas: use this Redis instead of starting a private redis-server. */
  redis: string | undefined
  url: string | undefined
}

/** A CLI command: resolves with the process exit code. */
export type Command = (args: readonly string[], opts: CliOptions, io: Io) => Promise<number>
