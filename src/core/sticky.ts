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
    let end = header.indexOf(';', at)
    if (end < 0) end = header.length
    // The '=' must be inside this pair: a bare "flag" cookie must not swallow the next pair.
    const eq = header.indexOf('=', at)
    if (eq >= 0 && eq < end && eq - at === name.length && header.startsWith(name, at)) {
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
  // The query ends at the first '#': nothing in a fragment is a parameter.
  const hash = url.indexOf('#')
  const stop = hash < 0 ? url.length : hash
  const q = url.indexOf('?')
  if (q < 0 || q > stop) return undefined
  let at = q + 1
  while (at < stop) {
    let end = url.indexOf('&', at)
    if (end < 0 || end > stop) end = stop
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

// Parsing key sources from config text is config's job; re-exported for callers of the core.
export { formatKeySource, parseKeySource } from '../config/key-source.js'
