/**
 * Header names that belong to one connection, not to the message (RFC 9110 §7.6.1), plus the
 * framing fields sluice never copies (undici and Node frame each leg themselves). Lower-case,
 * computed once; both directions use the same list.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade',
  'http2-settings', 'trailer', 'proxy-authorization', 'proxy-authenticate',
])

/** `x-sluice-*` is sluice's own namespace: never accepted from a client or a backend. */
export const SLUICE_PREFIX = 'x-sluice-'

/** A `Connection` token never removes these: routing and framing depend on them. */
const PROTECTED: ReadonlySet<string> = new Set(['host', 'content-length'])

/**
 * The extra header names a `Connection` value asks to drop ("keep-alive, X-Hop" → ['x-hop']).
 * `undefined` for the usual `keep-alive` / `close` values, so the common case allocates nothing.
 */
export function connectionTokens(value: string, into: string[] | undefined): string[] | undefined {
  const lower = value.toLowerCase()
  if (lower === 'keep-alive' || lower === 'close') return into
  const parts = lower.split(',')
  for (let i = 0; i < parts.length; i++) {
    const token = parts[i]!.trim()
    if (token.length === 0 || token === 'keep-alive' || token === 'close' || PROTECTED.has(token)) continue
    into ??= []
    into.push(token)
  }
  return into
}

/** True when `lower` is hop-by-hop, sluice's own, or named by the message's `Connection` header. */
export function isConnectionScoped(lower: string, named: readonly string[] | undefined): boolean {
  if (HOP_BY_HOP.has(lower) || lower.startsWith(SLUICE_PREFIX)) return true
  return named !== undefined && named.includes(lower)
}
