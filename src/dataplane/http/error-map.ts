import { SluiceError, type ErrorCode } from '../../errors.js'
import type { UpstreamErrorReason } from '../../observe/events.js'

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
 */
const BY_CODE: ReadonlyMap<string, UpstreamFailure> = new Map([
  ['ECONNREFUSED', CONNECT], ['EHOSTUNREACH', CONNECT], ['ENETUNREACH', CONNECT],
  ['ENOTFOUND', CONNECT], ['EAI_AGAIN', CONNECT], ['EADDRNOTAVAIL', CONNECT],
  ['UND_ERR_CONNECT_TIMEOUT', CONNECT], ['ETIMEDOUT', CONNECT],
  ['UND_ERR_HEADERS_TIMEOUT', TIMEOUT], ['UND_ERR_BODY_TIMEOUT', TIMEOUT],
  ['ECONNRESET', RESET], ['EPIPE', RESET], ['ECONNABORTED', RESET],
  ['UND_ERR_SOCKET', RESET], ['UND_ERR_CLOSED', RESET], ['UND_ERR_DESTROYED', RESET],
  ['SLUICE_ERR_UPSTREAM_PROTOCOL', PROTOCOL],
])

/** Anything not known to be a connect, timeout or reset failure is the backend speaking bad HTTP. */
export function mapUpstreamError(err: unknown): UpstreamFailure {
  return BY_CODE.get(errorCode(err) ?? '') ?? PROTOCOL
}

function errorCode(err: unknown): string | undefined {
  if (err instanceof SluiceError) return err.code
  if (typeof err !== 'object' || err === null) return undefined
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') return code
  // Happy-eyeballs connects (several addresses for one name) fail with an AggregateError.
  if (err instanceof AggregateError) return errorCode(err.errors[0])
  return errorCode((err as { cause?: unknown }).cause)
}
