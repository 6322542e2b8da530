import { SluiceError, type ErrorCode } from '../../../util/errors.js'
import type { UpstreamErrorReason } from '../../../observe/events.js'

/** How one upstream failure is reported: to the client (status, code) and to metrics (reason). */
export interface UpstreamFailure {
  readonly status: 502 | 504
  readonly reason: UpstreamErrorReason
  readonly code: ErrorCode
  /** Nothing of the request reached the backend: the one kind of failure that may be retried on old. */
  readonly nothingSent: boolean
}

function failure(
  status: 502 | 504, reason: UpstreamErrorReason, code: ErrorCode, nothingSent = false,
): UpstreamFailure {
  return Object.freeze({ status, reason, code, nothingSent })
}

export const CONNECT = failure(502, 'connect', 'SLUICE_ERR_UPSTREAM_CONNECT', true)
export const TIMEOUT = failure(504, 'timeout', 'SLUICE_ERR_UPSTREAM_TIMEOUT')
export const RESET = failure(502, 'reset', 'SLUICE_ERR_UPSTREAM_RESET')
export const PROTOCOL = failure(502, 'protocol', 'SLUICE_ERR_UPSTREAM_PROTOCOL')
/**
 * A handshake or certificate check that failed while connecting: the request is written only once
 * the handshake completed, so nothing reached the backend (a refused handshake may fall back on old).
 */
export const TLS_HANDSHAKE = failure(502, 'tls', 'SLUICE_ERR_UPSTREAM_TLS', true)
/**
 * A TLS error on an established connection (a bad record, or under TLS 1.3 a client certificate
 * rejected after our side finished its handshake): the request may have been written. Not retried.
 */
export const TLS_ESTABLISHED = failure(502, 'tls', 'SLUICE_ERR_UPSTREAM_TLS')

/** Set by the upstream connector on errors raised before its connection completed. */
const CONNECT_PHASE = Symbol('sluice.connectPhase')

export function markConnectPhase(err: Error): void {
  (err as Error & { [CONNECT_PHASE]?: true })[CONNECT_PHASE] = true
}

/**
 * Node's certificate verification codes (X509_V_ERR_* without the prefix) and its TLS errors.
 * ERR_SSL_* (OpenSSL: alerts, wrong version, handshake failure) and ERR_TLS_* are matched by prefix.
 */
const TLS_CODES: ReadonlySet<string> = new Set([
  'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA',
  'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'HOSTNAME_MISMATCH', 'EPROTO',
])

export function isTlsCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')
}

/**
 * Alerts a server sends when it refuses the handshake, our client certificate above all. Under
 * TLS 1.3 our side finishes its handshake first and may already have written the request when the
 * server checks the certificate and answers with one of these (certificate_required, 116, when
 * none was sent): the server's handshake failed, so it never read the request as HTTP. Such an
 * alert counts as a refused handshake (TLS_HANDSHAKE) wherever it arrives.
 */
const HANDSHAKE_REFUSAL = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(?:CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|CERTIFICATE_UNKNOWN|UNKNOWN_CA|ACCESS_DENIED|HANDSHAKE_FAILURE|DECRYPT_ERROR)$/

export function isHandshakeRefusal(code: string): boolean {
  return HANDSHAKE_REFUSAL.test(code)
}

/** A TLS error seen on the connection, kept on the error undici reports for the request instead. */
const TLS_CAUSE = Symbol('sluice.tlsCause')

/**
 * undici answers a TLS alert on an established connection with its own "other side closed" (the
 * socket's 'end' follows the alert, and its error replaces the alert's): the upstream connector
 * puts the alert back with this, so the failure is reported as TLS and the log names it.
 */
export function keepTlsCause(reported: Error, tlsError: Error): void {
  (reported as Error & { [TLS_CAUSE]?: Error })[TLS_CAUSE] ??= tlsError
}

/**
 * undici and socket error codes. "connect" means the connection was never
 * established, so nothing was sent: the one class that may be retried on old. A connect timeout is
 * such a failure too (502, connect), unlike a header or body timeout (504, timeout).
 * ETIMEDOUT is not listed: it is a connect failure only when the connect itself timed out (see
 * mapUpstreamError); on an established socket the request may have been sent.
 */
const BY_CODE: ReadonlyMap<string, UpstreamFailure> = new Map([
  ['ECONNREFUSED', CONNECT], ['EHOSTUNREACH', CONNECT], ['ENETUNREACH', CONNECT],
  ['ENOTFOUND', CONNECT], ['EAI_AGAIN', CONNECT], ['EADDRNOTAVAIL', CONNECT],
  ['UND_ERR_CONNECT_TIMEOUT', CONNECT],
  ['UND_ERR_HEADERS_TIMEOUT', TIMEOUT], ['UND_ERR_BODY_TIMEOUT', TIMEOUT],
  ['ECONNRESET', RESET], ['EPIPE', RESET], ['ECONNABORTED', RESET],
  ['UND_ERR_SOCKET', RESET], ['UND_ERR_CLOSED', RESET], ['UND_ERR_DESTROYED', RESET],
  ['SLUICE_ERR_UPSTREAM_PROTOCOL', PROTOCOL],
])

/**
 * Anything not known to be a connect, TLS, timeout or reset failure is the backend speaking bad HTTP.
 * ETIMEDOUT: the kernel's SYN retries ran out (`syscall: 'connect'`, nothing was sent) is a connect
 * failure; on an established connection (retransmissions or keep-alive probes unanswered, a request
 * possibly sent) it is a timeout, never retried on old.
 */
export function mapUpstreamError(err: unknown): UpstreamFailure {
  const cause = codedError(tlsCauseOf(err) ?? err)
  if (cause === undefined) return PROTOCOL
  if (cause.code === 'ETIMEDOUT') return cause.syscall === 'connect' ? CONNECT : TIMEOUT
  if (isTlsCode(cause.code)) {
    const refused = (cause as { [CONNECT_PHASE]?: true })[CONNECT_PHASE] === true || isHandshakeRefusal(cause.code)
    return refused ? TLS_HANDSHAKE : TLS_ESTABLISHED
  }
  return BY_CODE.get(cause.code) ?? PROTOCOL
}

interface CodedError {
  readonly code: string
  readonly syscall?: unknown
}

/** The first error with a string code: the error itself, an AggregateError's first, or a cause. */
function codedError(err: unknown): CodedError | undefined {
  if (err instanceof SluiceError) return err
  if (typeof err !== 'object' || err === null) return undefined
  if (typeof (err as { code?: unknown }).code === 'string') return err as CodedError
  // Happy-eyeballs connects (several addresses for one name) fail with an AggregateError.
  if (err instanceof AggregateError) return codedError(err.errors[0])
  return codedError((err as { cause?: unknown }).cause)
}

function tlsCauseOf(err: unknown): Error | undefined {
  return typeof err === 'object' && err !== null ? (err as { [TLS_CAUSE]?: Error })[TLS_CAUSE] : undefined
}

/**
 * "certificate has expired (CERT_HAS_EXPIRED)": what the log names for a TLS failure. OpenSSL's
 * own messages ("80FC…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate
 * required:…:SSL alert number 116") are cut to their reason.
 */
export function tlsProblem(err: unknown): string {
  const cause = codedError(tlsCauseOf(err) ?? err)
  const message = (cause as { message?: unknown } | undefined)?.message
  if (cause === undefined) return String(err)
  const text = typeof message === 'string' ? /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message : 'TLS error'
  return `${text} (${cause.code})`
}
