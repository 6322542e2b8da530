import { connect, type Socket } from 'node:net'
import type { SentSocket } from './fuzz-wire.js'
import { headerValue, parseResponses, type ParseResult } from './strict-response.js'

/**
 * Plays one fuzz socket against a server over a raw `net` socket, so nothing is normalised by a
 * client library, and returns every byte that came back, parsed strictly.
 * Each step is written whole; before the next step the client waits for the step's answers. After
 * the last step it waits for all answers (clean sockets, up to `answerMs`) or until the server falls
 * silent for `idleMs` between answers (edgy and mutated sockets: the server may rightly wait for
 * bytes that never come), then half-closes and waits for the server to close.
 */

export interface Exchange {
  readonly received: Buffer
  readonly result: ParseResult
  /** A step's answers did not arrive within answerMs. */
  readonly timedOut: boolean
  /** The server did not close within closeMs of the client's half-close. */
  readonly hung: boolean
}

export interface ExchangeTimes {
  readonly answerMs: number
  readonly idleMs: number
  readonly closeMs: number
}

interface Conn {
  readonly socket: Socket
  readonly chunks: Buffer[]
  closed: boolean
  lastData: number
  wake: (() => void) | undefined
}

export async function exchange(port: number, sent: SentSocket, times: ExchangeTimes): Promise<Exchange> {
  const conn = await open(port)
  const methods = sent.requests.flat().map((r) => r.method)
  const answers = (): ParseResult => parseResponses(Buffer.concat(conn.chunks), methods, conn.closed)
  const settled = (n: number) => (): boolean => {
    const r = answers()
    return conn.closed || r.error !== undefined || r.responses.length >= n || endsConnection(r)
  }
  let timedOut = false
  let expected = 0
  try {
    for (let i = 0; i < sent.steps.length; i++) {
      conn.socket.write(sent.steps[i]!)
      expected += sent.requests[i]!.length
      const last = i === sent.steps.length - 1
      if (!last || sent.kind === 'clean') timedOut ||= !(await until(conn, settled(expected), times.answerMs))
      else await untilIdle(conn, settled(expected), () => answers().pending > 0, times)
      if (conn.closed) break
    }
    conn.socket.end()
    const hung = !(await until(conn, () => conn.closed, times.closeMs))
    return { received: Buffer.concat(conn.chunks), result: answers(), timedOut, hung }
  } finally {
    conn.socket.destroy()
  }
}

/** The last answer so far says `connection: close`: nothing more will be answered. */
function endsConnection(r: ParseResult): boolean {
  const last = r.responses.at(-1)
  return last !== undefined && (headerValue(last, 'connection') ?? '').toLowerCase().includes('close')
}

function open(port: number): Promise<Conn> {
  const socket = connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  const conn: Conn = { socket, chunks: [], closed: false, lastData: Date.now(), wake: undefined }
  socket.on('data', (d: Buffer) => {
    conn.chunks.push(d)
    conn.lastData = Date.now()
    conn.wake?.()
  })
  socket.on('close', () => {
    conn.closed = true
    conn.wake?.()
  })
  socket.on('error', () => {}) // a reset is a close; 'close' follows
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(conn))
    socket.once('error', reject)
  })
}

/** Resolves true once `cond()` holds (checked on every event), false after `ms`. */
function until(conn: Conn, cond: () => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (v: boolean): void => {
      clearTimeout(timer)
      conn.wake = undefined
      resolve(v)
    }
    const timer = setTimeout(() => finish(cond()), ms)
    conn.wake = () => { if (cond()) finish(true) }
    conn.wake()
  })
}

/**
 * Waits until `cond()` holds or no byte arrived for `idleMs` between answers (never while `midAnswer()`:
 * a half-close then would cut that answer off on a loaded machine), `answerMs` at most.
 */
async function untilIdle(
  conn: Conn, cond: () => boolean, midAnswer: () => boolean, times: ExchangeTimes,
): Promise<void> {
  const deadline = Date.now() + times.answerMs
  while (Date.now() < deadline) {
    const start = Date.now()
    if (await until(conn, cond, times.idleMs)) return
    if (conn.lastData < start && !midAnswer()) return
  }
}
