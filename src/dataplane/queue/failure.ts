import { SluiceError, type ErrorCode } from '../../util/errors.js'
import type { UpstreamErrorReason } from '../../observe/events.js'

/** HTTP-style status of a refusal that has no HTTP status of its own (a Redis error reply, a timeout). */
export const REFUSED_STATUS = 500

const CODE_OF: Readonly<Record<UpstreamErrorReason, ErrorCode>> = {
  connect: 'SLUICE_ERR_UPSTREAM_CONNECT',
  timeout: 'SLUICE_ERR_UPSTREAM_TIMEOUT',
  reset: 'SLUICE_ERR_UPSTREAM_RESET',
  protocol: 'SLUICE_ERR_UPSTREAM_PROTOCOL',
  tls: 'SLUICE_ERR_UPSTREAM_TLS',
}

/**
 * A sink did not confirm a job. `reason` is set for transport failures (the Outcome's `error`);
 * `sinkStatus` is the HTTP status of a refusal, or REFUSED_STATUS when there was none.
 * A refusal (a non-2xx answer, a Redis error reply) uses the catalogue's protocol code.
 */
export class PublishError extends SluiceError {
  readonly reason: UpstreamErrorReason | undefined
  readonly sinkStatus: number

  constructor(reason: UpstreamErrorReason | undefined, sinkStatus: number, message: string, cause?: unknown) {
    super(CODE_OF[reason ?? 'protocol'], message, cause === undefined ? undefined : { cause })
    this.name = 'PublishError'
    this.reason = reason
    this.sinkStatus = sinkStatus
  }
}

/** Socket, undici and ioredis failures by code or name (ioredis' own errors carry no code). */
const BY_CODE: ReadonlyMap<string, UpstreamErrorReason> = new Map([
  ['ECONNREFUSED', 'connect'], ['EHOSTUNREACH', 'connect'], ['ENETUNREACH', 'connect'],
  ['ENOTFOUND', 'connect'], ['EAI_AGAIN', 'connect'], ['EADDRNOTAVAIL', 'connect'],
  ['UND_ERR_CONNECT_TIMEOUT', 'connect'], ['ETIMEDOUT', 'connect'],
  ['MaxRetriesPerRequestError', 'connect'],
  ['UND_ERR_HEADERS_TIMEOUT', 'timeout'], ['UND_ERR_BODY_TIMEOUT', 'timeout'],
  ['ECONNRESET', 'reset'], ['EPIPE', 'reset'], ['ECONNABORTED', 'reset'],
  ['UND_ERR_SOCKET', 'reset'], ['UND_ERR_CLOSED', 'reset'], ['UND_ERR_DESTROYED', 'reset'],
])

/** ioredis reports these with a bare Error; the text is its only identity (ioredis Command.js, event_handler.js). */
const BY_MESSAGE: ReadonlyMap<string, UpstreamErrorReason> = new Map([
  ['Command timed out', 'timeout'],
  ['Connection is closed.', 'reset'],
  ["Stream isn't writeable and enableOfflineQueue options is false", 'connect'],
])

/** Any error from a sink, as a PublishError. Unknown errors are refusals: the sink said no. */
export function toPublishError(err: unknown): PublishError {
  if (err instanceof PublishError) return err
  const reason = reasonOf(err)
  const message = err instanceof Error ? err.message : String(err)
  return new PublishError(reason, REFUSED_STATUS, message, err)
}

function reasonOf(err: unknown): UpstreamErrorReason | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown }
  const byCode = typeof e.code === 'string' ? BY_CODE.get(e.code) : undefined
  const byName = typeof e.name === 'string' ? BY_CODE.get(e.name) : undefined
  const byMessage = typeof e.message === 'string' ? BY_MESSAGE.get(e.message) : undefined
  if (byCode ?? byName ?? byMessage) return byCode ?? byName ?? byMessage
  if (err instanceof AggregateError) return reasonOf(err.errors[0])
  return e.cause === undefined ? undefined : reasonOf(e.cause)
}
