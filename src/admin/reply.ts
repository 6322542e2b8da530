import type { ServerResponse } from 'node:http'
import { isSluiceError, type ErrorCode } from '../util/errors.js'

/** What a handler answers; the server writes it. Bodies are small, so they are whole strings. */
export interface Reply {
  readonly status: number
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
}

export function json(status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): Reply {
  return { status, body: `${JSON.stringify(value)}\n`, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } }
}

export function text(status: number, body: string, contentType: string): Reply {
  return { status, body, headers: { 'content-type': contentType } }
}

/** The error shape of the README's Errors section: {"error": {"code": "not_found", "message": "…"}}. */
export function errorReply(
  status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {},
): Reply {
  return json(status, { error: { code, message } }, headers)
}

/** A SluiceError keeps its catalogue status; its API code is the catalogue name without prefix, lower-cased. */
export function replyForError(err: unknown): Reply | undefined {
  if (!isSluiceError(err)) return undefined
  return errorReply(err.status, apiCode(err.code), err.message)
}

export function apiCode(code: ErrorCode): string {
  return code.replace(/^SLUICE_ERR_/, '').toLowerCase()
}

export function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.writeHead(reply.status, {
    ...reply.headers,
    // Admin answers are live state: a cache in between would show stale percents.
    'cache-control': 'no-store',
    // A 304 has no body; its Content-Length would describe the 200's (RFC 9110 8.6), so none is sent.
    ...(reply.status === 304 ? {} : { 'content-length': String(Buffer.byteLength(reply.body)) }),
  })
  res.end(reply.body)
}
