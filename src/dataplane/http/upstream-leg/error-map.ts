import { SluiceError, type ErrorCode } from '../../../errors.js'
import type { UpstreamErrorReason } from '../../../observe/events.js'

/** How one upstream failure is reported: to the client (status, code) and to metrics (reason). */
export interface UpstreamFailure {
  readonly status: 502 | 504
  readonly reason: UpstreamErrorReason
  readonly code: ErrorCode
}

function failure(status: 502 | 504, reason: UpstreamErrorReason, code: ErrorCode): UpstreamFailure {
  return Object.freeze({ status, reason, code })
}

export const CONNECT = failure(502, 'connect', 'SLUICE_ERR_UPSTREAM_CONNECT')
export const TIMEOUT = failure(504, 'timeout', 'SLUICE_ERR_UPSTREAM_TIMEOUT')
export const RESET = failure(502, 'reset', 'SLUICE_ERR_UPSTREAM_RESET')
export const PROTOCOL = failure(502, 'protocol', 'SLUICE_ERR_UPSTREAM_PROTOCOL')

/**
 * undici and socket error codes (NOTES-proxies §5.19). "connect" means the connection was never
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
 * Anything not known to be a connect, timeout or reset failure is the backend speaking bad HTTP.
 * ETIMEDOUT: the kernel's SYN retries ran out (`syscall: 'connect'`, nothing was sent) is a connect
 * failure; on an established connection (retransmissions or keep-alive probes unanswered, a request
 * possibly sent) it is a timeout, never retried on old.
 */
export function mapUpstreamError(err: unknown): UpstreamFailure {
  const cause = codedError(err)
  if (cause === undefined) return PROTOCOL
  if (cause.code === 'ETIMEDOUT') return cause.syscall === 'connect' ? CONNECT : TIMEOUT
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
