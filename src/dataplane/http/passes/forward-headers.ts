import type { HostRule } from '../../../config/types.js'
import type { ProxyContext } from '../context.js'
import { connectionTokens, isConnectionScoped } from '../hop-by-hop.js'
import type { PassResult } from '../pipeline.js'
import { isUsableRequestId, nextRequestId } from '../request-id.js'
import { VIA_VALUE } from '../via.js'

/** The upstream request's headers, from the client's raw list (duplicates and case preserved). */
export function forwardHeaders(ctx: ProxyContext): PassResult {
  const overTls = (ctx.socket as { encrypted?: boolean }).encrypted === true
  ctx.upstreamHeaders = buildUpstreamHeaders(ctx.req.rawHeaders, ctx.ip, overTls, ctx)
  return 'next'
}

/** Answered by Node already (100-continue) or overwritten below; never copied from the client. */
const DROPPED: ReadonlySet<string> = new Set(['expect', 'x-forwarded-proto', 'x-forwarded-host'])

/**
 * Builds the flat [name, value, …] list undici sends. Removes hop-by-hop headers, every header the
 * client's `Connection` names (collected first, so a token cannot remove what sluice adds next),
 * `x-sluice-*` (clients must not steer sluice), `expect`; keeps Host and Content-Length (undici frames
 * the body from it, or chunks when absent). Appends the client address to `x-forwarded-for`, sets
 * `x-forwarded-proto` (https when the client came over TLS) and `x-forwarded-host`, and adds `via` (RFC 9110 §7.6.3).
 * Keeps the client's first usable `x-request-id` (request-id.ts) or adds one, and tells `ids` which.
 * Shared with the WebSocket path, whose upgrade headers undici writes itself.
 */
export function buildUpstreamHeaders(
  raw: readonly string[], clientIp: string | undefined, overTls = false, ids?: { requestId: string | undefined },
): string[] {
  const named = namedByConnection(raw)
  const out: string[] = []
  let xff: string | undefined
  let host: string | undefined
  let requestId: string | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    const value = raw[i + 1]!
    const lower = name.toLowerCase()
    if (isConnectionScoped(lower, named) || DROPPED.has(lower)) continue
    if (lower === 'x-forwarded-for') {
      xff = xff === undefined ? value : `${xff}, ${value}`
      continue
    }
    if (lower === 'x-request-id') {
      // One id per request: a second copy, or an unusable value, is dropped (a made one replaces it).
      if (requestId === undefined && isUsableRequestId(value)) requestId = value
      continue
    }
    if (lower === 'host') host = value
    out.push(name, value)
  }
  requestId ??= nextRequestId()
  out.push('x-request-id', requestId)
  if (ids) ids.requestId = requestId
  const forwardedFor = clientIp === undefined ? xff : xff === undefined ? clientIp : `${xff}, ${clientIp}`
  if (forwardedFor !== undefined) out.push('x-forwarded-for', forwardedFor)
  out.push('x-forwarded-proto', overTls ? 'https' : 'http')
  if (host !== undefined) out.push('x-forwarded-host', host)
  out.push('via', VIA_VALUE)
  return out
}

function namedByConnection(raw: readonly string[]): string[] | undefined {
  let named: string[] | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    if (name.length === 10 && name.toLowerCase() === 'connection') named = connectionTokens(raw[i + 1]!, named)
  }
  return named
}

/**
 * Set the Host header of `headers` (a list built above) for a side's rule, in place and in its
 * original position: the client's value (`preserve`), none (`upstream`: undici then writes the
 * origin's own host, per origin of a balanced list) or a fixed value. Returns whether the list now
 * differs from the client's, so a later `preserve` attempt (the fallback on old) knows to restore it.
 */
export function applyHostRule(headers: string[], rule: HostRule, clientHost: string | undefined): boolean {
  const value = rule.mode === 'fixed' ? rule.value : rule.mode === 'upstream' ? undefined : clientHost
  let found = false
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!
    // undici skips a header whose value is undefined (its types do not say so).
    if (name.length === 4 && name.toLowerCase() === 'host') { headers[i + 1] = value as string; found = true }
  }
  if (!found && rule.mode === 'fixed') headers.push('host', rule.value)
  return rule.mode !== 'preserve'
}
