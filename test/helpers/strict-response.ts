/**
 * A strict HTTP/1.1 response parser for tests that read raw sockets (RFC 9112): status line, header
 * fields, and framing by Content-Length, chunked coding or connection close. It parses a whole
 * received byte string (re-run as bytes arrive), so a test can tell "complete responses, then
 * nothing" from "a response cut off" or "bytes that are not HTTP". 1xx interim responses are
 * collected with the final response they precede.
 */

export interface ParsedResponse {
  readonly status: number
  /** Names lower-cased, values with surrounding whitespace removed; order and duplicates kept. */
  readonly headers: readonly (readonly [string, string])[]
  readonly body: Buffer
  /** Statuses of the 1xx responses before this one. */
  readonly interim: readonly number[]
  /** Framed by the end of the connection (no Content-Length, not chunked). */
  readonly closeDelimited: boolean
}

export interface ParseResult {
  readonly responses: ParsedResponse[]
  /** Why the bytes are not valid HTTP/1.1 (undefined when they are, so far). */
  readonly error: string | undefined
  /** Bytes after the last complete response that do not (yet) form a complete one. */
  readonly pending: number
}

const STATUS_LINE = /^HTTP\/1\.1 ([1-9][0-9]{2}) ([\t\x20-\x7e\x80-\xff]*)$/
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,16})(;[\t\x20-\x7e\x80-\xff]*)?$/

/**
 * `methods[i]` is the method of the request the i-th final response answers (HEAD responses have no
 * body); `closed` says the peer closed the connection, which completes a close-delimited body.
 */
export function parseResponses(raw: Buffer, methods: readonly string[], closed: boolean): ParseResult {
  const text = raw.toString('latin1')
  const responses: ParsedResponse[] = []
  let at = 0
  let interim: number[] = []
  while (at < text.length) {
    const method = methods[responses.length] ?? 'GET'
    const step = parseOne(text, at, method, closed)
    if (typeof step === 'string') return { responses, error: step, pending: text.length - at }
    if (step === undefined) return { responses, error: undefined, pending: text.length - at }
    at = step.end
    if (step.status < 200) {
      interim.push(step.status)
      continue
    }
    responses.push({ ...step.response, interim })
    interim = []
  }
  // Interim answers and then a close: the connection failed before the final answer, like a bare close.
  return { responses, error: undefined, pending: 0 }
}

interface Step {
  readonly status: number
  readonly end: number
  readonly response: Omit<ParsedResponse, 'interim'>
}

/** One response starting at `at`: a Step, undefined if incomplete, or an error message. */
function parseOne(text: string, at: number, method: string, closed: boolean): Step | string | undefined {
  const headEnd = text.indexOf('\r\n\r\n', at)
  if (headEnd < 0) return looksLikeStart(text.slice(at)) ? undefined : `not a status line: ${JSON.stringify(text.slice(at, at + 60))}`
  const lines = text.slice(at, headEnd).split('\r\n')
  const m = STATUS_LINE.exec(lines[0]!)
  if (m === null) return `bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}`
  const status = Number(m[1])
  const headers = parseFields(lines.slice(1))
  if (typeof headers === 'string') return headers
  const bodyStart = headEnd + 4
  const framing = framingOf(headers, status, method)
  if (framing.kind === 'error') return framing.message
  if (framing.kind === 'none') return step(status, headers, '', bodyStart, false)
  if (framing.kind === 'length') {
    if (text.length - bodyStart < framing.bytes) return undefined
    return step(status, headers, text.slice(bodyStart, bodyStart + framing.bytes), bodyStart + framing.bytes, false)
  }
  if (framing.kind === 'chunked') {
    const chunked = parseChunked(text, bodyStart)
    if (chunked === undefined || typeof chunked === 'string') return chunked
    return step(status, headers, chunked.body, chunked.end, false)
  }
  if (!closed) return undefined
  return step(status, headers, text.slice(bodyStart), text.length, true)
}

function step(status: number, headers: [string, string][], body: string, end: number, closeDelimited: boolean): Step {
  return { status, end, response: { status, headers, body: Buffer.from(body, 'latin1'), closeDelimited } }
}

/** True while `partial` can still become a status line and head (a prefix of one). */
function looksLikeStart(partial: string): boolean {
  const prefix = 'HTTP/1.1 '
  if (partial.length <= prefix.length) return prefix.startsWith(partial)
  if (!partial.startsWith(prefix)) return false
  return !/[\0\n]/.test(partial.replace(/\r\n/g, ''))
}

function parseFields(lines: string[]): [string, string][] | string {
  const out: [string, string][] = []
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0) return `bad header line ${JSON.stringify(line.slice(0, 80))}`
    const name = line.slice(0, colon)
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '')
    if (!TOKEN.test(name)) return `bad header name ${JSON.stringify(name.slice(0, 80))}`
    if (!FIELD_VALUE.test(value)) return `bad header value for ${name}: ${JSON.stringify(value.slice(0, 80))}`
    out.push([name.toLowerCase(), value])
  }
  return out
}

type Framing =
  | { readonly kind: 'none' | 'chunked' | 'close' }
  | { readonly kind: 'length'; readonly bytes: number }
  | { readonly kind: 'error'; readonly message: string }

/** Body length per RFC 9112 §6.3. */
function framingOf(headers: [string, string][], status: number, method: string): Framing {
  const error = (message: string): Framing => ({ kind: 'error', message })
  const cl = headers.filter(([n]) => n === 'content-length')
  const te = headers.filter(([n]) => n === 'transfer-encoding')
  if (cl.length > 1) return error('more than one content-length')
  if (cl.length === 1 && te.length > 0) return error('both content-length and transfer-encoding')
  if (te.length > 1 || (te.length === 1 && te[0]![1].toLowerCase() !== 'chunked')) return error(`transfer-encoding ${JSON.stringify(te.map(([, v]) => v))}`)
  if (cl.length === 1 && !/^[0-9]{1,15}$/.test(cl[0]![1])) return error(`bad content-length ${JSON.stringify(cl[0]![1])}`)
  if (status < 200 && (cl.length > 0 || te.length > 0)) return error(`a ${status} response with a body`)
  if (status < 200 || status === 204 || status === 304 || method === 'HEAD') return { kind: 'none' }
  if (te.length === 1) return { kind: 'chunked' }
  if (cl.length === 1) return { kind: 'length', bytes: Number(cl[0]![1]) }
  return { kind: 'close' }
}

/** A chunked body from `at`: decoded body and the end offset, undefined if incomplete, or an error. */
function parseChunked(text: string, at: number): { body: string; end: number } | string | undefined {
  let body = ''
  for (;;) {
    const lineEnd = text.indexOf('\r\n', at)
    if (lineEnd < 0) return /^[0-9A-Fa-f]*(;[^\r\n]*)?\r?$/.test(text.slice(at)) ? undefined : 'bad chunk size line'
    const m = CHUNK_SIZE.exec(text.slice(at, lineEnd))
    if (m === null) return `bad chunk size line ${JSON.stringify(text.slice(at, lineEnd).slice(0, 40))}`
    const size = parseInt(m[1]!, 16)
    at = lineEnd + 2
    if (size === 0) return trailerEnd(text, at, body)
    if (text.length < at + size + 2) return undefined
    if (text.slice(at + size, at + size + 2) !== '\r\n') return 'chunk data not followed by CRLF'
    body += text.slice(at, at + size)
    at += size + 2
  }
}

function trailerEnd(text: string, at: number, body: string): { body: string; end: number } | string | undefined {
  if (text.startsWith('\r\n', at)) return { body, end: at + 2 }
  const end = text.indexOf('\r\n\r\n', at)
  if (end < 0) return undefined
  const fields = parseFields(text.slice(at, end).split('\r\n'))
  return typeof fields === 'string' ? `trailer: ${fields}` : { body, end: end + 4 }
}

/** The value of the last header `name` (lower-case), or undefined. */
export function headerValue(r: ParsedResponse, name: string): string | undefined {
  let v: string | undefined
  for (const [n, value] of r.headers) if (n === name) v = value
  return v
}
