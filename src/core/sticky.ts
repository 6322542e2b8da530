import type { KeySource } from '../config/types.js'

/**
 * Reading bucketing keys from a request without parsing more than needed: one cookie is found by
 * scanning the Cookie header, one query parameter by scanning the query string. Values are raw
 * (not URL-decoded), as nginx's $cookie_NAME and $arg_NAME are, so the bucket matches nginx's.
 */

/** The fields of an incoming request that key sources read. */
export interface KeyInput {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  /** Path and query, as on the request line. */
  readonly url: string
  /** Client address (IPv4-mapped IPv6 is reduced to IPv4). */
  readonly ip: string | undefined
}

export function readSource(source: KeySource, input: KeyInput): string | undefined {
  switch (source.kind) {
    case 'header': return nonEmpty(firstValue(input.headers[source.name]))
    case 'cookie': return cookieValue(firstValue(input.headers.cookie), source.name)
    case 'query': return queryValue(input.url, source.name)
    case 'ip': return input.ip
    case 'json': return undefined
  }
}

/** The first present source's value, or undefined. */
export function readKey(sources: readonly KeySource[], input: KeyInput): string | undefined {
  for (let i = 0; i < sources.length; i++) {
    const v = readSource(sources[i]!, input)
    if (v !== undefined) return v
  }
  return undefined
}

function firstValue(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : v?.[0]
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.length === 0 ? undefined : v
}

/** The value of cookie `name` in a Cookie header ("a=1; b=2"), without building an object. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined
  let at = 0
  while (at < header.length) {
    while (header.charCodeAt(at) === 0x20 || header.charCodeAt(at) === 0x3b) at++ // ' ' and ';'
    const eq = header.indexOf('=', at)
    if (eq < 0) return undefined
    let end = header.indexOf(';', eq)
    if (end < 0) end = header.length
    if (eq - at === name.length && header.startsWith(name, at)) {
      let v = header.slice(eq + 1, end).trim()
      if (v.length >= 2 && v.charCodeAt(0) === 0x22 && v.charCodeAt(v.length - 1) === 0x22) v = v.slice(1, -1)
      return nonEmpty(v)
    }
    at = end + 1
  }
  return undefined
}

/** The raw value of query parameter `name` in a request target ("/p?a=1&b=2"). */
export function queryValue(url: string, name: string): string | undefined {
  const q = url.indexOf('?')
  if (q < 0) return undefined
  let at = q + 1
  while (at < url.length) {
    let end = url.indexOf('&', at)
    if (end < 0) end = url.length
    const hash = url.indexOf('#', at)
    if (hash >= 0 && hash < end) end = hash
    const eq = url.indexOf('=', at)
    const nameEnd = eq >= 0 && eq < end ? eq : end
    if (nameEnd - at === name.length && url.startsWith(name, at)) {
      return nonEmpty(eq >= 0 && eq < end ? url.slice(eq + 1, end) : '')
    }
    at = end + 1
  }
  return undefined
}

/** '::ffff:10.0.0.1' → '10.0.0.1', so IPv4 clients key the same on dual-stack listeners. */
export function normalizeIp(addr: string | undefined): string | undefined {
  if (addr === undefined) return undefined
  return addr.startsWith('::ffff:') && addr.indexOf('.') > 0 ? addr.slice(7) : addr
}

/** Parse "header:x-user-id" and friends; returns an error message for anything else. */
export function parseKeySource(text: string): KeySource | string {
  if (text === 'ip') return { kind: 'ip' }
  const colon = text.indexOf(':')
  const kind = colon < 0 ? text : text.slice(0, colon)
  const name = colon < 0 ? '' : text.slice(colon + 1)
  if (!['header', 'cookie', 'query', 'json'].includes(kind)) {
    return `'${text}' is not a key source: use header:NAME, cookie:NAME, query:NAME, json:FIELD or ip`
  }
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return `'${text}' needs a name after '${kind}:'`
  if (kind === 'header') return { kind, name: name.toLowerCase() }
  if (kind === 'json') return { kind, field: name }
  return { kind: kind as 'cookie' | 'query', name }
}

export function formatKeySource(s: KeySource): string {
  return s.kind === 'ip' ? 'ip' : s.kind === 'json' ? `json:${s.field}` : `${s.kind}:${s.name}`
}
