import { isIP } from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'
import type { ListenAddress } from '../config/types.js'
import { isLoopbackHost } from './auth.js'
import { SluiceError, type ErrorCode } from '../util/errors.js'
import { replyForError, type Reply } from './reply.js'

/**
 * The admin plane's defence against browsers (issue 11). A token-less admin plane on loopback is
 * reachable by any web page the operator opens, so:
 * - DNS rebinding: a page on evil.example whose name later resolves to 127.0.0.1 sends
 *   `Host: evil.example`; only the names the plane listens under are answered (403 otherwise).
 * - Cross-site requests: a browser sends `Origin` on every cross-origin POST/PUT/DELETE and fetch;
 *   an `Origin` that is not the plane's own (scheme + the request's Host) gets 403.
 * - "Simple" requests: a form or `fetch(no-cors)` can POST `text/plain` without a preflight; every
 *   state-changing call must say `content-type: application/json` (415 otherwise), which no page can
 *   send cross-site without a CORS preflight that sluice never approves.
 * Non-browser clients (the CLI, curl, workers, Prometheus) send no `Origin` and pass unchanged.
 */
export interface BrowserGuard {
  /** A 403 reply when Host or Origin is foreign; undefined when the request may go on. */
  check(headers: IncomingHttpHeaders): Reply | undefined
}

/** Methods that change nothing: the only ones exempt from the JSON content-type rule. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])
const WILDCARDS: ReadonlySet<string> = new Set(['0.0.0.0', '::', ''])

export function browserGuard(listen: ListenAddress, allowedHosts: readonly string[] = []): BrowserGuard {
  const allowed = hostAllowList(listen, allowedHosts)
  return {
    check(headers) {
      const host = headers.host
      // HTTP/1.0 clients may omit Host; browsers never do, so there is nothing to rebind.
      if (host !== undefined && !allowed(host)) {
        return refusal('SLUICE_ERR_FORBIDDEN_HOST', `the admin plane does not answer to Host '${host}': use its listen address, or add the name to admin.allowedHosts`)
      }
      const origin = headers.origin
      if (origin !== undefined && !sameOrigin(origin, host)) {
        return refusal('SLUICE_ERR_FORBIDDEN_ORIGIN', `cross-origin request from '${origin}' refused: the admin plane only takes requests from its own pages and from non-browser clients`)
      }
      return undefined
    },
  }
}

/**
 * Which `Host` values name this plane: the listen address; every loopback name when it listens on
 * loopback; any IP literal when it listens on every interface (an IP cannot be rebound: the page's
 * origin is then that IP); plus `admin.allowedHosts` (names behind a load balancer or in Kubernetes).
 */
export function hostAllowList(listen: ListenAddress, extra: readonly string[]): (hostHeader: string) => boolean {
  const listenHost = listen.host.toLowerCase()
  const names = new Set([listenHost, ...extra.map((h) => h.toLowerCase())])
  const loopback = isLoopbackHost(listenHost)
  const wildcard = WILDCARDS.has(listenHost)
  return (hostHeader) => {
    const name = hostnameOf(hostHeader)
    if (name === undefined) return false
    if (names.has(name)) return true
    if ((loopback || wildcard) && isLoopbackHost(name)) return true
    return wildcard && isIP(name) !== 0
  }
}

/** True when the request needs `content-type: application/json` and does not have it. */
export function needsJson(method: string | undefined, contentType: string | undefined): boolean {
  if (SAFE_METHODS.has(method ?? 'GET')) return false
  return mediaType(contentType) !== 'application/json'
}

export function unsupportedMediaType(contentType: string | undefined): Reply {
  return refusal('SLUICE_ERR_UNSUPPORTED_MEDIA_TYPE', `state-changing calls need content-type: application/json, not '${contentType ?? 'none'}' (an empty body is fine)`)
}

/** The catalogue's status and API code (forbidden_host, …) with this message. */
function refusal(code: ErrorCode, message: string): Reply {
  return replyForError(new SluiceError(code, message))!
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase()
}

/** The hostname of a Host header, lower-case, IPv6 without brackets; undefined when malformed. */
function hostnameOf(hostHeader: string): string | undefined {
  // A Host is a name and a port: no user-info, path or query to smuggle another name in.
  if (/[/@?#\\\s]/.test(hostHeader)) return undefined
  try {
    const { hostname } = new URL(`http://${hostHeader}`)
    return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  } catch {
    return undefined
  }
}

/** The plane's own origin is its scheme plus the Host the browser used; `null` (sandboxed, file://) is foreign. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false
  try {
    const url = new URL(origin)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`${url.protocol}//${host}`).host
  } catch {
    return false
  }
}
