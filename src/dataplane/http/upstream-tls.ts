import { isIP } from 'node:net'
import type { ConnectionOptions } from 'node:tls'
import { buildConnector } from 'undici'
import type { SideTransport, UpstreamTls } from '../../config/types.js'
import { isTlsCode, keepTlsCause, markConnectPhase } from './upstream-leg/error-map.js'

/**
 * How sluice connects to one origin. undici derives the TLS server name (SNI, and so the name the
 * certificate is checked against) from each request's Host header; behind a real client Host that
 * is the wrong name, and an https backend fails. Here the server name is fixed per origin: the
 * configured `servername`, else the URL's hostname (none for an IP address: RFC 6066 forbids it
 * and Node then checks the certificate against the IP). The client's Host never plays a part.
 */
export function originConnector(
  origin: string, tls: UpstreamTls | undefined, connectMs: number,
): buildConnector.connector {
  const url = new URL(origin)
  const connect = buildConnector({ ...tlsOptions(tls), timeout: connectMs })
  if (url.protocol !== 'https:') return connect
  // '' = no SNI: undici then falls back to the URL's host, which for an IP address sends none.
  const servername = tls?.servername ?? nameOf(url.hostname) ?? ''
  return (opts, callback) => {
    connect({ ...opts, servername }, (...args) => {
      // Errors reported here came before the connection (and its handshake) completed: nothing was sent.
      if (args[0] !== null) markConnectPhase(args[0])
      else args[1].prependListener('error', keepTlsErrors())
      callback(...args)
    })
  }
}

/**
 * One listener per connection, ahead of undici's: the first TLS error on the socket (an alert such
 * as certificate_required, after our side finished a TLS 1.3 handshake) is kept on the errors that
 * follow it, undici's "other side closed" among them, which would otherwise replace it.
 */
function keepTlsErrors(): (err: Error) => void {
  let tlsError: Error | undefined
  return (err) => {
    if (tlsError !== undefined) return keepTlsCause(err, tlsError)
    const code = (err as NodeJS.ErrnoException).code
    if (code !== undefined && isTlsCode(code)) tlsError = err
  }
}

/**
 * Every request to an https side carries this constant `servername`: undici compares it with the
 * connection's and would otherwise reconnect on each Host change. The connector ignores its value.
 */
export function sessionServername(origins: readonly string[]): string | undefined {
  const first = origins[0]
  return first !== undefined && first.startsWith('https:') ? new URL(first).hostname : undefined
}

/** What a hand-built RouteConfig (no `transport`) means: the defaults of each origin's scheme. */
export function defaultTransport(origins: readonly string[]): SideTransport {
  const https = origins.every((o) => o.startsWith('https:'))
  return { host: { mode: https ? 'upstream' : 'preserve' }, tls: origins.map(() => undefined) }
}

function tlsOptions(tls: UpstreamTls | undefined): buildConnector.BuildOptions {
  if (tls === undefined) return {}
  const out: ConnectionOptions = { rejectUnauthorized: tls.rejectUnauthorized }
  if (tls.ca !== undefined) out.ca = tls.ca
  if (tls.cert !== undefined) out.cert = tls.cert
  if (tls.key !== undefined) out.key = tls.key
  if (tls.minVersion !== undefined) out.minVersion = tls.minVersion
  return out as buildConnector.BuildOptions
}

function nameOf(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  return isIP(bare) === 0 ? hostname : undefined
}
