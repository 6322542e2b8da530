import { hashKey } from '../../../core/bucket.js'
import { queryValue } from '../../../core/sticky.js'
import type { Decision } from '../../../core/types.js'
import { decideFor, keyOf, reasonLabel } from '../decision.js'
import type { PassResult } from '../pipeline.js'
import { routeNamed } from '../route-table.js'
import { setCookieValue } from '../set-cookie.js'
import { respondError } from '../upstream-leg/answer.js'
import type { HttpLegState } from '../upstream-leg/state.js'

/** sluice's own paths on the data plane; everything else goes to the routes. */
const PREFIX = '/_sluice/'

/**
 * `/_sluice/opt-in?route=NAME`, `/_sluice/opt-out?route=NAME` (optional `redirect=/same/origin/path`)
 * set the route's opt cookie; `/_sluice/whoami` answers, per route, the side the caller gets and why.
 * The check costs one `startsWith` on every other request.
 */
export function sluiceEndpoints(ctx: HttpLegState): PassResult {
  const url = ctx.url
  if (!url.startsWith(PREFIX)) return 'next'
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  if (path === '/_sluice/whoami') whoami(ctx)
  else if (path === '/_sluice/opt-in') opt(ctx, 'in')
  else if (path === '/_sluice/opt-out') opt(ctx, 'out')
  else if (path === '/_sluice/goal') goal(ctx)
  else respondError(ctx, 'SLUICE_ERR_NOT_FOUND', `no sluice endpoint ${path}: use /_sluice/opt-in, /_sluice/opt-out, /_sluice/whoami or /_sluice/goal`, false)
  return 'done'
}

function opt(ctx: HttpLegState, choice: 'in' | 'out'): void {
  const name = param(ctx.url, 'route')
  const route = name === undefined ? undefined : routeNamed(ctx.plane.table, name)
  if (name === undefined) return respondError(ctx, 'SLUICE_ERR_BAD_REQUEST', `add ?route=NAME to choose the route to opt ${choice} of`, false)
  if (route === undefined || !route.view.optIn) return respondError(ctx, 'SLUICE_ERR_NOT_FOUND', `route '${name}' does not exist or does not allow opting in and out`, false)
  const rawRedirect = queryValue(ctx.url, 'redirect')
  const redirect = rawRedirect === undefined ? undefined : decodeParam(rawRedirect)
  if (rawRedirect !== undefined && (redirect === undefined || !isSameOriginPath(redirect))) {
    return respondError(ctx, 'SLUICE_ERR_BAD_REQUEST', 'redirect must be a path on this site, like /account (no scheme, no host, no //)', false)
  }
  const overTls = (ctx.socket as { encrypted?: boolean }).encrypted === true
  const secure = overTls || ctx.req.headers['x-forwarded-proto'] === 'https'
  const cookie = setCookieValue(route.optCookie, choice, secure)
  const headers: Record<string, string> = { 'set-cookie': cookie, 'cache-control': 'no-store' }
  if (redirect === undefined) {
    ctx.res.writeHead(204, headers).end()
    return
  }
  const location = asciiLocation(redirect)
  if (location === undefined) return respondError(ctx, 'SLUICE_ERR_BAD_REQUEST', 'redirect is not a valid path (unpaired surrogate)', false)
  ctx.res.writeHead(302, { ...headers, location, 'content-length': '0' }).end()
}

/**
 * `POST /_sluice/goal?route=NAME&goal=GOAL`: the caller's own sticky key (header or cookie, as the
 * route's `sticky` says) sent the goal's event; it counts for the side that key gets now, if the key
 * was exposed there (observe/goals.ts). 204 whether counted, a duplicate or ignored: a browser
 * beacon has no use for the difference, and the answer must not reveal other users' state.
 */
function goal(ctx: HttpLegState): void {
  if (ctx.req.method !== 'POST') return respondError(ctx, 'SLUICE_ERR_METHOD_NOT_ALLOWED', 'send goal events with POST', false)
  const name = param(ctx.url, 'route')
  const goalName = param(ctx.url, 'goal')
  if (name === undefined || goalName === undefined) return respondError(ctx, 'SLUICE_ERR_BAD_REQUEST', 'add ?route=NAME&goal=GOAL to name the goal', false)
  const route = name === undefined ? undefined : routeNamed(ctx.plane.table, name)
  const goals = ctx.plane.goals
  if (route === undefined || goals === undefined || !goals.hasGoal(name, goalName)) {
    return respondError(ctx, 'SLUICE_ERR_NOT_FOUND', `route '${name}' does not exist or has no goal '${goalName}'`, false)
  }
  const key = keyOf(route, ctx)
  if (key === undefined) return respondError(ctx, 'SLUICE_ERR_BAD_REQUEST', `the request carries no sticky key of route '${name}'`, false)
  const side = decideFor(route, key, ctx, ctx.plane.random).side
  goals.convert(name, goalName, hashKey(route.view.hashPrefix, key), side, 0)
  ctx.res.writeHead(204, { 'cache-control': 'no-store' }).end()
}

/**
 * The decoded redirect target as a header-safe URI reference: a header value must be Latin-1 (Node
 * throws otherwise, which cut the connection off), so spaces and non-ASCII characters are
 * percent-encoded as UTF-8, the way browsers send them. undefined for an unpaired surrogate,
 * which has no UTF-8 form.
 */
export function asciiLocation(path: string): string | undefined {
  let out = ''
  try {
    for (const ch of path) out += ch.charCodeAt(0) > 0x7e || ch === ' ' ? encodeURIComponent(ch) : ch
  } catch {
    return undefined
  }
  return out
}

/** Which side each route gives this caller now, and why (the same decision the proxy makes). */
function whoami(ctx: HttpLegState): void {
  const routes: Record<string, { backend: string; reason: string }> = {}
  for (const route of ctx.plane.table.routes) {
    routes[route.name] = explain(decideFor(route, keyOf(route, ctx), ctx, ctx.plane.random))
  }
  const body = JSON.stringify({ routes })
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' })
  ctx.res.end(body)
}

function explain(d: Decision): { backend: string; reason: string } {
  return { backend: d.side, reason: reasonLabel(d) }
}

/** The decoded query parameter; undefined when absent or when its %-encoding is not UTF-8. */
function param(url: string, name: string): string | undefined {
  const raw = queryValue(url, name)
  return raw === undefined ? undefined : decodeParam(raw)
}

function decodeParam(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

/**
 * Only a path on this site: it starts with one '/', and neither '//' nor '/\' (both are read as
 * another host by browsers), and carries no control characters. Anything else would be an open
 * redirect.
 */
export function isSameOriginPath(target: string): boolean {
  if (!target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return false
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i)
    if (c < 0x20 || c === 0x7f || c === 0x5c) return false
  }
  return true
}
