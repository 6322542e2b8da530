import { resolve } from 'node:path'
import type { RawBackend, RawBackends, RawUpstreamTls } from './raw.js'
import type { HostRule, SideTransport, UpstreamTls } from './types.js'

/**
 * A side's backends as the file gives them (a URL, an object `{ url, host, tls }`, or a list of
 * either) → its origins and its transport (Host rule, TLS per origin). Shared by normalize and
 * the semantic checks, so both read the same spelling the same way.
 */
export function backendList(value: RawBackends): readonly RawBackend[] {
  return typeof value === 'string' || !Array.isArray(value) ? [value as RawBackend] : value
}

export function backendUrl(b: RawBackend): string {
  return typeof b === 'string' ? b : b.url
}

/** `host` as written on this backend, if it is an object that says. */
export function explicitHost(b: RawBackend): string | undefined {
  return typeof b === 'string' ? undefined : b.host
}

/**
 * A side's Host rule: the `host` its backends give (the semantic check makes them agree), else
 * `upstream` when every origin is https (a managed service routes by its own name), else
 * `preserve` (what sluice always did for http, and for a list mixing both).
 */
export function sideHostSpelling(list: readonly RawBackend[]): string {
  for (const b of list) {
    const host = explicitHost(b)
    if (host !== undefined) return host
  }
  return list.every((b) => backendUrl(b).toLowerCase().startsWith('https:')) ? 'upstream' : 'preserve'
}

export function hostRule(spelling: string): HostRule {
  if (spelling === 'preserve' || spelling === 'upstream') return { mode: spelling }
  return { mode: 'fixed', value: spelling }
}

/** Absolute paths of a backend's TLS files, in the order ca, cert, key (absent ones skipped). */
export function tlsFiles(tls: RawUpstreamTls | undefined, baseDir: string): string[] {
  if (tls === undefined) return []
  return [tls.ca, tls.cert, tls.key].filter((f): f is string => f !== undefined).map((f) => resolve(baseDir, f))
}

/** PEM texts already read by load.ts, by absolute path. */
export type PemFiles = ReadonlyMap<string, string>

export function sideTransport(value: RawBackends, baseDir: string, pem: PemFiles): SideTransport {
  const list = backendList(value)
  return { host: hostRule(sideHostSpelling(list)), tls: list.map((b) => upstreamTls(b, baseDir, pem)) }
}

function upstreamTls(b: RawBackend, baseDir: string, pem: PemFiles): UpstreamTls | undefined {
  if (typeof b === 'string' || b.tls === undefined) return undefined
  const t = b.tls
  const read = (f: string | undefined): string | undefined =>
    (f === undefined ? undefined : pem.get(resolve(baseDir, f)))
  return {
    ca: read(t.ca),
    cert: read(t.cert),
    key: read(t.key),
    servername: t.servername,
    minVersion: t.minVersion,
    rejectUnauthorized: t.rejectUnauthorized ?? true,
  }
}
