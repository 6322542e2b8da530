import { ErrorCodes, type ErrorCode } from '../../../util/errors.js'
import type { ProxyContext } from '../context.js'
import type { UpstreamFailure } from './error-map.js'

/** 'SLUICE_ERR_UPSTREAM_CONNECT' → 'upstream_connect': the stable code in sluice's JSON error bodies. */
export function publicCode(code: ErrorCode): string {
  return code.slice('SLUICE_ERR_'.length).toLowerCase()
}

/** `{"error":{"code":…,"message":…}}`, the shape of every error sluice answers itself. */
export function errorBody(code: ErrorCode, message: string): string {
  return `{"error":{"code":"${publicCode(code)}","message":${JSON.stringify(message)}}}`
}

/** The fixed upstream error bodies, built once. */
const UPSTREAM_BODIES = new Map<ErrorCode, string>()
for (const code of ['SLUICE_ERR_UPSTREAM_CONNECT', 'SLUICE_ERR_UPSTREAM_TIMEOUT', 'SLUICE_ERR_UPSTREAM_RESET', 'SLUICE_ERR_UPSTREAM_PROTOCOL'] as const) {
  UPSTREAM_BODIES.set(code, errorBody(code, ErrorCodes[code].message))
}

/** The JSON body of an upstream failure's 502/504. */
export function upstreamErrorBody(failure: UpstreamFailure): string {
  return UPSTREAM_BODIES.get(failure.code) ?? errorBody(failure.code, ErrorCodes[failure.code].message)
}

/** 502/504 with a short JSON body; the outcome's error was recorded by the caller. */
export function respondUpstreamError(ctx: ProxyContext, failure: UpstreamFailure): void {
  ctx.answer(failure.status, upstreamErrorBody(failure), false)
}

/** Answers `code`'s status with a sluice error body. `close` forces `connection: close` (framing errors). */
export function respondError(ctx: ProxyContext, code: ErrorCode, message: string, close: boolean): void {
  ctx.answer(ErrorCodes[code].status, errorBody(code, message), close)
}
