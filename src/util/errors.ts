/**
 * The one catalogue of sluice's errors. Code branches on `code` (or `instanceof SluiceError`),
 * never on message text. Every code is listed in the README's "Errors" section; a test checks it.
 */
export const ErrorCodes = {
  SLUICE_ERR_CONFIG_INVALID: { status: 400, message: 'the configuration is invalid' },
  SLUICE_ERR_CONFIG_READ: { status: 500, message: 'the configuration file cannot be read' },
  SLUICE_ERR_BAD_DURATION: { status: 400, message: 'not a duration: use numbers with units, largest first, like 500ms, 30s, 10m, 1h30m or 1d' },
  SLUICE_ERR_NOT_FOUND: { status: 404, message: 'no such resource' },
  SLUICE_ERR_BAD_REQUEST: { status: 400, message: 'the request is malformed' },
  SLUICE_ERR_UNAUTHORIZED: { status: 401, message: 'missing or wrong bearer token' },
  SLUICE_ERR_CONFLICT: { status: 409, message: 'the state changed concurrently; retry' },
  SLUICE_ERR_INVALID_STATE: { status: 409, message: 'the command does not apply in the current rollout state' },
  SLUICE_ERR_STATE_STORE: { status: 503, message: 'the state store is unavailable' },
  SLUICE_ERR_ADMIN_INSECURE: { status: 500, message: 'a non-loopback admin listen address needs admin.token (or SLUICE_ADMIN_TOKEN)' },
  SLUICE_ERR_LISTEN: { status: 500, message: 'cannot listen on the configured address' },
  SLUICE_ERR_UPSTREAM_CONNECT: { status: 502, message: 'the backend refused or could not be reached' },
  SLUICE_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'the backend did not answer in time' },
  SLUICE_ERR_UPSTREAM_RESET: { status: 502, message: 'the backend closed the connection' },
  SLUICE_ERR_UPSTREAM_PROTOCOL: { status: 502, message: 'the backend sent an invalid HTTP response' },
  SLUICE_ERR_UPSTREAM_TLS: { status: 502, message: 'the TLS handshake with the backend failed (certificate or protocol)' },
  SLUICE_ERR_NO_ROUTE: { status: 404, message: 'no route matches this request' },
  SLUICE_ERR_BAD_FRAMING: { status: 400, message: 'ambiguous request framing is refused' },
  SLUICE_ERR_LOOP: { status: 508, message: 'the request already went through this sluice (Via loop)' },
  SLUICE_ERR_ADMIN_UNREACHABLE: { status: 503, message: 'the admin plane cannot be reached' },
  SLUICE_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'this method is not allowed here; see the allow header' },
  SLUICE_ERR_BODY_TOO_LARGE: { status: 413, message: 'the request body is too large' },
  SLUICE_ERR_FORBIDDEN_HOST: { status: 403, message: 'the admin plane does not answer to this Host' },
  SLUICE_ERR_FORBIDDEN_ORIGIN: { status: 403, message: 'cross-origin requests to the admin plane are refused' },
  SLUICE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'state-changing admin calls need content-type: application/json' },
} as const

export type ErrorCode = keyof typeof ErrorCodes

export class SluiceError extends Error {
  readonly code: ErrorCode
  readonly status: number

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ErrorCodes[code].message, options)
    this.name = 'SluiceError'
    this.code = code
    this.status = ErrorCodes[code].status
  }
}

export function isSluiceError(err: unknown): err is SluiceError {
  return err instanceof SluiceError
}
