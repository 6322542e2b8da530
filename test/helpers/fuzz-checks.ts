import { VIA_PSEUDONYM } from '../../src/dataplane/http/via.js'
import type { Exchange } from './fuzz-client.js'
import type { Header } from './fuzz-requests.js'
import { endToEnd, type SentRequest, type SentSocket } from './fuzz-wire.js'
import { FUZZ_ID, type OriginRecord } from './recording-origin.js'
import { headerValue, type ParsedResponse } from './strict-response.js'

/**
 * The fuzzer's properties, checked after each batch:
 * - every answer is well-formed HTTP/1.1 and complete, or the connection closed without a byte;
 * - every clean request is answered (until an answer says `connection: close`), never with a 5xx
 *   but a loop's 508; plain ones reach the origin and come back 200 with their own id;
 * - every request the origins recorded is one the client sent, at most once, with the same method,
 *   url and body bytes (and the end-to-end headers), and none was smuggled out of a body.
 */

export interface Tally {
  inputs: number
  sockets: number
  answers: number
  closedWithoutAnswer: number
  statuses: Map<number, number>
  recordsExact: number
  recordsIncomplete: number
  /** Records of mutated or lenient requests: found in the bytes sent, framing not predicted. */
  recordsLenient: number
  recordsFromUnmodelledBytes: number
  /** Requests on connections this sluice never used: another process on the shared machine. */
  recordsForeign: number
}

export function newTally(): Tally {
  return {
    inputs: 0,
    sockets: 0,
    answers: 0,
    closedWithoutAnswer: 0,
    statuses: new Map(),
    recordsExact: 0,
    recordsIncomplete: 0,
    recordsLenient: 0,
    recordsFromUnmodelledBytes: 0,
    recordsForeign: 0,
  }
}

/** Where each sent request came from: for messages and lenient matching. */
export interface Registered {
  readonly req: SentRequest
  readonly socket: SentSocket
  readonly bytes: Buffer
}

export class Ledger {
  readonly byId = new Map<string, Registered>()
  /** Unmodelled bytes of every socket sent so far. */
  readonly tails: Buffer[] = []
  /** Records attributed exactly, per id. */
  readonly attributed = new Map<string, OriginRecord>()
  /** Origin connections that carried a request with this sluice's Via: the others are not sluice's. */
  readonly sluiceConnections = new Set<string>()

  register(socket: SentSocket): void {
    const bytes = Buffer.concat(socket.steps)
    for (const req of socket.requests.flat()) this.byId.set(req.id, { req, socket, bytes })
    this.tails.push(...socket.tails)
  }
}

export function checkRecords(records: readonly OriginRecord[], ledger: Ledger, tally: Tally): string[] {
  const problems: string[] = []
  for (const rec of records) if (viaSluice(rec)) ledger.sluiceConnections.add(connectionOf(rec))
  for (const rec of records) {
    // A test of another process on this machine may still talk to a port one of our origins now
    // holds. A request smuggled by sluice would ride on a connection sluice forwarded others on.
    if (!ledger.sluiceConnections.has(connectionOf(rec))) {
      tally.recordsForeign++
      continue
    }
    const entry = ledger.byId.get(FUZZ_ID.exec(rec.url)?.[1] ?? '')
    const problem = entry === undefined ? 'no request with this id was sent' : attribute(rec, entry, ledger, tally)
    if (problem === undefined) continue
    if (inTails(rec, ledger.tails)) {
      tally.recordsFromUnmodelledBytes++
      continue
    }
    problems.push(`origin ${rec.origin} received ${rec.complete ? 'a complete' : 'an incomplete'} ${rec.method} ${show(rec.url)} ` +
      `(body ${rec.body.length} B ${show(rec.body.toString('latin1'))}): ${problem}` + (entry ? `\n  client sent: ${show(entry.bytes.toString('latin1'))}` : ''))
  }
  return problems
}

function connectionOf(rec: OriginRecord): string {
  return `${rec.origin}#${rec.connection}`
}

function viaSluice(rec: OriginRecord): boolean {
  for (let i = 0; i < rec.rawHeaders.length; i += 2) {
    if (rec.rawHeaders[i]!.toLowerCase() === 'via' && rec.rawHeaders[i + 1]!.includes(VIA_PSEUDONYM)) return true
  }
  return false
}

/** undefined when `rec` is what `entry` allows, else why not. */
function attribute(rec: OriginRecord, entry: Registered, ledger: Ledger, tally: Tally): string | undefined {
  const req = entry.req
  if (req.lenient) {
    if (!sentIn(rec, entry.bytes)) return 'not in the bytes the client sent'
    tally.recordsLenient++
    return countOnce(rec, req, ledger)
  }
  if (rec.method !== req.method || rec.url !== req.url) return `expected ${req.method} ${show(req.url)}`
  if (!rec.complete) {
    const fits = req.loosePartial
      ? isSubsequence(rec.body, req.partial)
      : req.partial.subarray(0, rec.body.length).equals(rec.body)
    if (!fits) return 'its partial body is not a prefix of the body sent'
    tally.recordsIncomplete++
    return countOnce(rec, req, ledger)
  }
  if (req.body === undefined) return 'the client never completed this request (or it was ambiguous): it must not be forwarded whole'
  if (!req.body.equals(rec.body)) return `body differs: expected ${req.body.length} B ${show(req.body.toString('latin1'))}`
  const headers = headerProblem(rec, req)
  if (headers !== undefined) return headers
  tally.recordsExact++
  return countOnce(rec, req, ledger)
}

function countOnce(rec: OriginRecord, req: SentRequest, ledger: Ledger): string | undefined {
  const before = ledger.attributed.get(req.id)
  if (before !== undefined) return `a second time (first at ${before.origin})`
  ledger.attributed.set(req.id, rec)
  return undefined
}

function headerProblem(rec: OriginRecord, req: SentRequest): string | undefined {
  if (req.headers === undefined) return undefined
  const pairs: Header[] = []
  for (let i = 0; i < rec.rawHeaders.length; i += 2) pairs.push([rec.rawHeaders[i]!, rec.rawHeaders[i + 1]!])
  const sentHost = req.headers.some(([n]) => n === 'host')
  // Without a Host from the client (HTTP/1.0), undici adds the origin's: that one is the proxy's own.
  const got = endToEnd(pairs).filter(([n]) => sentHost || n !== 'host')
  const want = req.headers
  if (got.length === want.length && got.every(([n, v], i) => n === want[i]![0] && v === want[i]![1])) return undefined
  const firstDiff = got.findIndex(([n, v], i) => n !== want[i]?.[0] || v !== want[i]?.[1])
  return `headers differ: sent ${want.length} end-to-end, origin got ${got.length}; first difference at #${firstDiff}: ` +
    `sent ${show(String(want[firstDiff] ?? 'nothing'))}, got ${show(String(got[firstDiff] ?? 'nothing'))}`
}

function sentIn(rec: OriginRecord, bytes: Buffer): boolean {
  if (bytes.indexOf(Buffer.from(`${rec.method} ${rec.url} `, 'latin1')) < 0) return false
  return rec.body.length === 0 || bytes.indexOf(rec.body) >= 0 || isSubsequence(rec.body, bytes)
}

/** A chunked upload arrives decoded: its bytes appear in order, with chunk lines between them. */
function isSubsequence(body: Buffer, bytes: Buffer): boolean {
  let j = 0
  for (let i = 0; i < bytes.length && j < body.length; i++) if (bytes[i] === body[j]) j++
  return j === body.length
}

function inTails(rec: OriginRecord, tails: readonly Buffer[]): boolean {
  return tails.some((t) => sentIn(rec, t))
}

// ---------------------------------------------------------------- answers

export function checkAnswers(sent: SentSocket, ex: Exchange, ledger: Ledger, tally: Tally): string[] {
  const problems: string[] = []
  const reqs = sent.requests.flat()
  const { responses, error, pending } = ex.result
  tally.answers += responses.length
  if (responses.length === 0 && ex.received.length === 0) tally.closedWithoutAnswer++
  for (const r of responses) tally.statuses.set(r.status, (tally.statuses.get(r.status) ?? 0) + 1)
  if (error !== undefined) problems.push(`malformed answer: ${error}`)
  else if (pending > 0) problems.push(`a response cut off after ${pending} bytes`)
  if (ex.hung) problems.push('the server kept the connection open after the client half-closed it')
  if (ex.timedOut) problems.push(`no answer within ${TIMEOUT_NOTE}`)
  // Unmodelled bytes (a too-short Content-Length's leftover, a mutation) may hold more requests.
  if (sent.tails.length === 0 && responses.length > reqs.length) problems.push(`${responses.length} answers to ${reqs.length} requests`)
  responses.forEach((res, i) => {
    const req = reqs[i]
    if (req !== undefined) problems.push(...answerProblems(res, req, sent.kind === 'mutated', ledger))
  })
  const closedAt = responses.findIndex((r) => (headerValue(r, 'connection') ?? '').toLowerCase().includes('close'))
  const answerable = closedAt < 0 ? reqs.length : closedAt + 1
  const unanswered = reqs.slice(responses.length, answerable).filter((r) => r.mustAnswer)
  if (error === undefined && unanswered.length > 0) problems.push(`no answer to clean request ${unanswered[0]!.id} (the connection closed)`)
  return problems.map((p) => `${p}\n  client sent: ${show(Buffer.concat(sent.steps).toString('latin1'))}\n  got: ${show(ex.received.toString('latin1'))}`)
}

const TIMEOUT_NOTE = 'the answer deadline (clean requests)'

function answerProblems(res: ParsedResponse, req: SentRequest, mutated: boolean, ledger: Ledger): string[] {
  const problems: string[] = []
  const seen = headerValue(res, 'x-fuzz-seen')
  if (res.status >= 500 && !(res.status === 508 && req.loop)) problems.push(`${res.status} to ${req.id}`)
  if (mutated) return problems
  if (seen !== undefined && seen !== req.id) problems.push(`the answer to ${req.id} is the origin's answer to ${seen}`)
  if (seen !== undefined) problems.push(...servedBy(res, req, ledger))
  if (req.plain && !(req.loop ? res.status === 508 : res.status === 200 && seen === req.id)) {
    problems.push(`plain request ${req.id} answered ${res.status}${seen === undefined ? ' (not by the origin)' : ''}: ${show(res.body.toString('latin1'))}`)
  }
  return problems
}

/** The body names the origin that answered: it must be the one that recorded the request. */
function servedBy(res: ParsedResponse, req: SentRequest, ledger: Ledger): string[] {
  const rec = ledger.attributed.get(req.id)
  if (rec === undefined) return [`answered by an origin, but no origin recorded ${req.id} as sent`]
  if (req.method === 'HEAD' || res.body.toString('latin1') === rec.origin) return []
  return [`answer body ${show(res.body.toString('latin1'))} but ${req.id} was recorded by ${rec.origin}`]
}

function show(s: string): string {
  return JSON.stringify(s.length > 600 ? `${s.slice(0, 400)}…(${s.length} chars)…${s.slice(-150)}` : s)
}
