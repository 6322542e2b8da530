import { VIA_PSEUDONYM } from '../../src/dataplane/http/via.js'
import type { BodySpec, Header, Mutation, RequestSpec, SocketSpec } from './fuzz-requests.js'

/**
 * Turns fuzz specs into exact wire bytes and, per request, what an honest proxy may forward (the
 * oracle the fuzz test checks the origin's records and the answers against).
 */

export interface SentRequest {
  readonly id: string
  readonly method: string
  readonly url: string
  /** Valid by construction: never answered with a 5xx except 508 for a loop. */
  readonly clean: boolean
  /**
   * Clean, and no request pipelined with it trips Node's parser (a non-ASCII target, a head near
   * 16 KiB): it must be answered, not met with a bare close. (Node destroys a connection whose parser
   * fails while a response is pending, so one bad request takes the unanswered ones with it.)
   */
  readonly mustAnswer: boolean
  /** Also unremarkable: it must reach the origin and come back 200 (508 when it loops). */
  readonly plain: boolean
  readonly loop: boolean
  /** The body a complete record must carry; undefined: no complete record may exist. */
  readonly body: Buffer | undefined
  /** An incomplete record's body must be a prefix of these bytes. */
  readonly partial: Buffer
  /**
   * A malformed chunk size: what counts as chunk data is up to the parser; an incomplete record's body
   * need only appear in order in `partial`.
   */
  readonly loosePartial: boolean
  /** End-to-end headers (lower-case name, trimmed value), in order, that the origin must see; undefined: unchecked. */
  readonly headers: readonly Header[] | undefined
  /** Framing not predictable (injected line breaks, mutations): a record need only appear in the sent bytes. */
  readonly lenient: boolean
}

export interface SentSocket {
  readonly kind: SocketSpec['kind']
  /** Written in order; after each step but the last, the client waits for that step's answers. */
  readonly steps: readonly Buffer[]
  /** Requests per step. */
  readonly requests: readonly (readonly SentRequest[])[]
  /** Bytes whose framing is not modelled (Content-Length leftovers, lenient requests, mutated sockets). */
  readonly tails: readonly Buffer[]
}

/** Fixed-width ids, so a socket's byte length (and mutation offsets) depend only on the seed. */
export function fuzzId(n: number): string {
  return n.toString(36).padStart(6, '0')
}

export function serializeSocket(spec: SocketSpec, nextId: () => string): SentSocket {
  const requests = persistentPrefix(spec.requests)
  const all = requests.map((r, i) => serializeRequest(r, nextId(), spec.kind === 'edgy' && i === requests.length - 1))
  // Edgy sockets send their last request alone, after the others were answered.
  const built = spec.kind === 'edgy' ? [...spoilIfRisky(all.slice(0, -1)), all.at(-1)!] : spoilIfRisky(all)
  const tails = built.flatMap((b) => b.tails)
  if (spec.kind === 'mutated') {
    const bytes = mutate(Buffer.concat(built.map((b) => b.bytes)), spec.mutations)
    const lenient = built.map((b) => ({ ...b.sent, lenient: true, clean: false, mustAnswer: false, plain: false }))
    return { kind: spec.kind, steps: [bytes], requests: [lenient], tails: [...tails, bytes] }
  }
  if (spec.kind === 'edgy' && built.length > 1) {
    const clean = built.slice(0, -1)
    const edgy = built.at(-1)!
    const steps = [Buffer.concat(clean.map((b) => b.bytes)), edgy.bytes]
    return { kind: spec.kind, steps, requests: [clean.map((b) => b.sent), [edgy.sent]], tails }
  }
  const steps = [Buffer.concat(built.map((b) => b.bytes))]
  return { kind: spec.kind, steps, requests: [built.map((b) => b.sent)], tails }
}

/** When the parser refuses a request, the connection dies: no request pipelined with it need be answered. */
function spoilIfRisky(step: readonly Built[]): Built[] {
  if (!step.some((b) => b.risky)) return [...step]
  return step.map((b) => ({ ...b, sent: { ...b.sent, mustAnswer: false, plain: false } }))
}

/** How many requests of a socket spec are sent. */
export function requestCount(spec: SocketSpec): number {
  return persistentPrefix(spec.requests).length
}

/** Requests after one that ends the connection (Connection: close, HTTP/1.0 without keep-alive) are not sent. */
function persistentPrefix(requests: readonly RequestSpec[]): readonly RequestSpec[] {
  const end = requests.findIndex((r) => !r.keepAlive)
  return end < 0 ? requests : requests.slice(0, end + 1)
}

interface Built {
  readonly bytes: Buffer
  readonly sent: SentRequest
  /** Node's parser may refuse it (an error, not an answer). */
  readonly risky: boolean
  readonly tails: Buffer[]
}

function serializeRequest(r: RequestSpec, id: string, edgy: boolean): Built {
  const url = targetOf(r, id)
  const lines = [`${r.method} ${url} ${r.version}`, ...r.hosts.map((h) => `Host: ${h}`), ...r.headers.map(([n, v]) => `${n}: ${v}`)]
  const body = bodyBytes(r.body)
  lines.push(...framingLines(r.body, body.length))
  if (r.version === 'HTTP/1.1' && !r.keepAlive) lines.push('Connection: close')
  if (r.version === 'HTTP/1.0' && r.keepAlive) lines.push('Connection: keep-alive')
  lines.push(...r.rawLines)
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  const bytes = Buffer.concat([head, body])
  const oracle = bodyOracle(r.body)
  const lenient = r.rawLines.some(isLenientLine) || /\s/.test(r.method) || r.version !== r.version.trim()
  const clean = !edgy
  const risky = edgy || isRisky(r, head.length)
  const loop = r.target.kind === 'route' && r.target.prefix === '/loop/' || r.headers.some(([n, v]) => n.toLowerCase() === 'via' && v.includes(VIA_PSEUDONYM))
  const sent: SentRequest = {
    id, method: r.method, url, clean, loop, lenient, mustAnswer: !risky,
    plain: !risky && r.target.kind === 'route' && r.hosts.length === 1 && /^[a-zA-Z0-9.:]+$/.test(r.hosts[0]!),
    body: oracle.body, partial: oracle.partial, loosePartial: r.body.kind === 'chunked' && r.body.badSize !== undefined,
    headers: lenient ? undefined : endToEnd([...r.hosts.map((h): Header => ['host', h]), ...r.headers, ...r.rawLines.flatMap(linesAsHeaders)]),
  }
  return { bytes, sent, risky, tails: lenient ? [bytes] : oracle.leftover === undefined ? [] : [oracle.leftover] }
}

function targetOf(r: RequestSpec, id: string): string {
  const tag = `~f${id}~`
  const t = r.target
  if (t.kind === 'route') return `${t.prefix}${tag}${t.tail}`
  if (t.kind === 'sluice') return `${t.path}?${t.query}${t.query === '' ? '' : '&'}_f=${tag}`
  return t.form === '*' || t.form.includes(':80') ? t.form : `${t.form}${tag}`
}

function bodyBytes(b: BodySpec): Buffer {
  if (b.kind === 'none') return Buffer.alloc(0)
  if (b.kind === 'length') return Buffer.from(b.data)
  const parts: string[] = []
  b.chunks.forEach((c, i) => {
    parts.push(`${c.data.length.toString(16)}${c.ext}\r\n${Buffer.from(c.data).toString('latin1')}\r\n`)
    if (i === 0 && b.badSize !== undefined) parts.push(`${b.badSize}\r\nhello\r\n`)
  })
  parts.push(`0\r\n${b.trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`)
  return Buffer.from(parts.join(''), 'latin1')
}

function framingLines(b: BodySpec, encodedLength: number): string[] {
  if (b.kind === 'none') return []
  if (b.kind === 'length') {
    const cl = b.data.length + b.delta
    if (b.twice === 'no') return [`Content-Length: ${cl}`]
    return [`Content-Length: ${cl}`, `Content-Length: ${b.twice === 'same' ? cl : cl + 1}`]
  }
  const te = b.te === '' ? [] : [`Transfer-Encoding: ${b.te}`]
  return b.alsoLength ? [...te, `Content-Length: ${encodedLength}`] : te
}

interface BodyOracle {
  readonly body: Buffer | undefined
  readonly partial: Buffer
  /** Bytes sent after the request's end by the client's own framing (a too-short Content-Length). */
  readonly leftover: Buffer | undefined
}

function bodyOracle(b: BodySpec): BodyOracle {
  if (b.kind === 'none') return { body: Buffer.alloc(0), partial: Buffer.alloc(0), leftover: undefined }
  if (b.kind === 'length') {
    const data = Buffer.from(b.data)
    const cl = data.length + b.delta
    if (b.twice === 'other') return { body: undefined, partial: data, leftover: undefined }
    if (b.delta > 0) return { body: undefined, partial: data, leftover: undefined }
    return { body: data.subarray(0, cl), partial: data, leftover: b.delta < 0 ? data.subarray(cl) : undefined }
  }
  const data = Buffer.concat(b.chunks.map((c) => c.data))
  if (b.badSize !== undefined) return { body: undefined, partial: bodyBytes(b), leftover: undefined }
  const honest = b.badSize === undefined && onlyChunked(b.te)
  // No TE (an empty value) with alsoLength: framed by Content-Length, the chunked encoding is the body.
  if (b.te === '') {
    return b.alsoLength
      ? { body: bodyBytes(b), partial: bodyBytes(b), leftover: undefined }
      : { body: Buffer.alloc(0), partial: Buffer.alloc(0), leftover: bodyBytes(b) }
  }
  return { body: honest ? data : undefined, partial: data, leftover: undefined }
}

/** `chunked` as the final coding, any others only `identity` (a no-op): decoding chunks alone is then honest. */
function onlyChunked(te: string): boolean {
  const codings = te.split(',').map((c) => c.trim().toLowerCase())
  return codings.at(-1) === 'chunked' && codings.slice(0, -1).every((c) => c === 'identity')
}

/**
 * Lines whose effect on framing depends on how a parser treats bare CR, LF, NUL, folding or an odd
 * Content-Length / Transfer-Encoding value. The others must be refused or forwarded as they are.
 */
function isLenientLine(line: string): boolean {
  return /[\r\n\0]/.test(line.replace(/\r\n(?=h\d|X-Dup)/g, '')) || /^(Content-Length|Transfer-Encoding):/.test(line)
}

function linesAsHeaders(raw: string): Header[] {
  return raw.split('\r\n').map((line): Header => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon), line.slice(colon + 1)]
  })
}

const HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'http2-settings', 'trailer',
  'proxy-authorization', 'proxy-authenticate', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'via', 'content-length',
  'x-request-id',
])

/**
 * What a proxy forwards end to end (RFC 9110 §7.6.1): everything but hop-by-hop fields, those the
 * client's Connection header names (never Host or Content-Length), sluice's own `x-sluice-*`, and the
 * fields sluice rewrites (x-forwarded-*, via, x-request-id: request-id.test.ts checks it) or frames
 * itself (content-length).
 */
export function endToEnd(headers: readonly Header[]): Header[] {
  const named = new Set(headers.filter(([n]) => n.toLowerCase() === 'connection')
    .flatMap(([, v]) => v.toLowerCase().split(',').map((t) => t.trim())))
  named.delete('host')
  named.delete('content-length')
  return headers.map(([n, v]): Header => [n.toLowerCase(), v.replace(/^[ \t]+|[ \t]+$/g, '')])
    .filter(([n]) => !HOP.has(n) && !named.has(n) && !n.startsWith('x-sluice-'))
}

/** Node's parser may refuse it: a target that is not ASCII, or a head near the 16 KiB limit. */
function isRisky(r: RequestSpec, headLength: number): boolean {
  if (headLength > 15_000 || r.target.kind === 'odd') return true
  const target = r.target.kind === 'route' ? r.target.tail : r.target.query
  return !/^[\x21-\x7e]*$/.test(target)
}

function mutate(bytes: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = bytes
  for (const m of mutations) {
    const at = Math.floor(m.at * out.length)
    if (m.op === 'flip') out = Buffer.concat([out.subarray(0, at), Buffer.from([out[at]! ^ (m.bytes[0]! || 1)]), out.subarray(at + 1)])
    else if (m.op === 'cut') out = out.subarray(0, Math.max(1, at))
    else if (m.op === 'insert') out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)])
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.bytes.length)])
  }
  return out
}
