import { pino, type DestinationStream, type Logger } from 'pino'

export type { Logger } from 'pino'

/**
 * Secrets that must never reach a log line. Explicit paths only: pino's wildcard redaction is
 * measurably slower, and these are the places sluice (and its access log) put such values.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'headers["set-cookie"]',
  'authorization',
  'cookie',
  'token',
  'admin.token',
  'config.admin.token',
]

export interface LoggerOptions {
  readonly level: string
  /** Where JSON lines go; stdout (pino's default) when omitted. Tests pass a capturing stream. */
  readonly destination?: DestinationStream
}

/**
 * pino JSON lines with ISO timestamps and level names. `base` is empty: pid and hostname add bytes to every line
 * and the log collector (journald, Kubernetes) already knows both.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level,
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"warn", not 40: what log collectors and people filter on without a lookup table.
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
  }
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination)
}
