import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'
import { Readable } from 'node:stream'
import pino from 'pino'
import { Client } from 'undici'
import { afterAll, describe, expect, test } from 'vitest'
import type { RouteConfig } from '../../../src/config/types.js'
import { HttpDataPlane } from '../../../src/dataplane/http/server.js'
import { createOutcomeBus, type Outcome } from '../../../src/observe/events.js'
import { createRecorder } from '../../../src/observe/metrics/recorder.js'
import { buildViews } from '../../../src/state/views.js'
import { listenOnLoopback, REFUSED_ORIGIN } from '../../helpers/backends.js'
import { routeConfig } from '../../helpers/dataplane.js'

/**
 * The upstream fault matrix: {old, new, new→old fallback} × {GET, POST with a body, chunked POST,
 * WebSocket} × six ways a backend can fail, each on real sockets (raw `net` servers as the
 * misbehaving backends). Every case checks what the client gets, the Outcome published, the
 * `sluice_upstream_errors_total` series, how many times each backend saw the request (never twice
 * unless safe), and that the data plane still answers afterwards.
 */

type Column = 'old' | 'new' | 'fallback'
type Method = 'GET' | 'POST' | 'chunked' | 'ws'
type Fault = 'refused' | 'reset-before-head' | 'header-timeout' | 'reset-mid-body' | 'invalid-response' | 'close-on-reuse'

const COLUMNS: readonly Column[] = ['old', 'new', 'fallback']
const METHODS: readonly Method[] = ['GET', 'POST', 'chunked', 'ws']
const FAULTS: readonly Fault[] = ['refused', 'reset-before-head', 'header-timeout', 'reset-mid-body', 'invalid-response', 'close-on-reuse']

/** What the client sees from sluice when the serving backend fails this way. */
interface ClientView {
  /** Status line the client receives; 0 when it receives nothing. */
  readonly status: number
  /** `error.code` of sluice's JSON body, for its own 502/504. */
  readonly code?: string
  /** The head went out and the response was then cut off (a truncated body, or a tunnel closed). */
  readonly cut?: boolean
  /** The transport failure recorded for the serving backend (undefined: none). */
  readonly reason: 'connect' | 'timeout' | 'reset' | 'protocol' | undefined
}

/**
 * THE TABLE: what each fault of the backend that serves the request gives the client, for plain
 * requests (GET, POST, chunked POST alike) and for WebSocket handshakes. Where a fault does not
 * apply as such to a WebSocket, the row says what happens instead:
 * - reset mid-body: a handshake's answer is a 101 without a body; the backend answers 101 and
 *   then resets, so the client gets its 101 and then the tunnel closes (no error: after a 101 a
 *   close is the session ending, not a failed request).
 */
const BY_FAULT: Readonly<Record<Fault, { readonly http: ClientView; readonly ws: ClientView }>> = {
  'refused': {
    http: { status: 502, code: 'upstream_connect', reason: 'connect' },
    ws: { status: 502, code: 'upstream_connect', reason: 'connect' },
  },
  'reset-before-head': {
    http: { status: 502, code: 'upstream_reset', reason: 'reset' },
    ws: { status: 502, code: 'upstream_reset', reason: 'reset' },
  },
  'header-timeout': {
    http: { status: 504, code: 'upstream_timeout', reason: 'timeout' },
    ws: { status: 504, code: 'upstream_timeout', reason: 'timeout' },
  },
  'reset-mid-body': {
    http: { status: 200, cut: true, reason: 'reset' },
    ws: { status: 101, cut: true, reason: undefined },
  },
  'invalid-response': {
    http: { status: 502, code: 'upstream_protocol', reason: 'protocol' },
    ws: { status: 502, code: 'upstream_protocol', reason: 'protocol' },
  },
  'close-on-reuse': {
    http: { status: 502, code: 'upstream_reset', reason: 'reset' },
    ws: { status: 502, code: 'upstream_reset', reason: 'reset' },
  },
}

/** A healthy backend's answer: 200 for plain requests, 101 for a handshake (tunnel left open). */
const HEALTHY: Readonly<Record<'http' | 'ws', ClientView>> = {
  http: { status: 200, reason: undefined },
  ws: { status: 101, reason: undefined },
}

interface Expected {
  readonly client: ClientView
  readonly outcome: Pick<Outcome, 'side' | 'servedBy' | 'status' | 'error' | 'fellBack'>
  /** Arrivals of the case's request at each side's backend (warm-up requests not counted). */
  readonly arrivals: { readonly old: number; readonly new: number }
}

/**
 * The columns: `old` — the route is at 0 % and old fails; `new` — at 100 % and new fails, old is
 * healthy (only a refused connection falls back); `fallback` — at 100 %, new refuses the connection
 * and old, tried next, fails. The Outcome's error is always about the decided side (new's connect
 * failure after a fallback), and a request reaches a backend at most once.
 */
function expected(column: Column, method: Method, fault: Fault): Expected {
  const kind = method === 'ws' ? 'ws' : 'http'
  const failing = BY_FAULT[fault][kind]
  const reached = fault === 'refused' ? 0 : 1
  if (column === 'old') {
    return { client: failing, outcome: outcome('old', 'old', failing, failing.reason, false), arrivals: { old: reached, new: 0 } }
  }
  if (column === 'new' && fault === 'refused') {
    const healthy = HEALTHY[kind]
    return { client: healthy, outcome: outcome('new', 'old', healthy, 'connect', true), arrivals: { old: 1, new: 0 } }
  }
  if (column === 'new') {
    return { client: failing, outcome: outcome('new', 'new', failing, failing.reason, false), arrivals: { old: 0, new: reached } }
  }
  return { client: failing, outcome: outcome('new', 'old', failing, 'connect', true), arrivals: { old: reached, new: 0 } }
}

function outcome(side: 'old' | 'new', servedBy: 'old' | 'new', view: ClientView, error: Outcome['error'], fellBack: boolean): Expected['outcome'] {
  return { side, servedBy, status: view.status, error, fellBack }
}

// --- backends ---------------------------------------------------------------------------------

interface FakeBackend {
  readonly url: string
  /** Request heads received (plain requests and handshakes). */
  arrivals(): number
  close(): Promise<void>
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const REQUEST_LINE = /(?:^|\n)(?:GET|POST) \/\S* HTTP\/1\.1\r\n/g

function acceptFor(head: string): string {
  const key = /\r\nsec-websocket-key: *([^\r]+)\r\n/i.exec(head)?.[1] ?? ''
  return createHash('sha1').update(key + WS_GUID).digest('base64')
}

/**
 * A raw TCP backend that misbehaves as `fault` on every request head, except `close-on-reuse`:
 * it answers the first request of each connection (keep-alive) and closes the connection, without
 * a word, when a second request arrives on it.
 */
async function startFaultyBackend(fault: Exclude<Fault, 'refused'>): Promise<FakeBackend> {
  let arrivals = 0
  const server: NetServer = createNetServer((socket) => {
    socket.on('error', () => {})
    let text = ''
    let heads = 0
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1')
      const seen = text.match(REQUEST_LINE)?.length ?? 0
      // A head counts once its request line arrived and the blank line after it.
      if (seen === heads || !text.slice(text.lastIndexOf(' HTTP/1.1\r\n')).includes('\r\n\r\n')) return
      heads = seen
      arrivals++
      misbehave(fault, socket, text, heads)
    })
  })
  return { ...await listenOnLoopback(server), arrivals: () => arrivals }
}

function misbehave(fault: Exclude<Fault, 'refused'>, socket: Socket, text: string, heads: number): void {
  const isUpgrade = /\r\nupgrade: *websocket/i.test(text)
  switch (fault) {
    case 'reset-before-head': return void socket.resetAndDestroy()
    case 'header-timeout': return // reads on, never answers
    case 'invalid-response': return void socket.end('NOT-HTTP garbage\r\n\r\n')
    case 'reset-mid-body': {
      socket.write(isUpgrade
        ? `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${acceptFor(text)}\r\n\r\n`
        : 'HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n' + 'x'.repeat(100))
      // Late enough for the head to be relayed first.
      return void setTimeout(() => socket.resetAndDestroy(), 50)
    }
    case 'close-on-reuse': {
      if (heads === 1) return void socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok')
      return void socket.end()
    }
  }
}

/** A well-behaved Node backend: 200 `ok` after reading the body; 101 for a handshake (kept open). */
async function startHealthyBackend(): Promise<FakeBackend> {
  let arrivals = 0
  const server: Server = createServer((req, res) => {
    arrivals++
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  const upgraded = new Set<Socket>()
  server.on('upgrade', (req, socket: Socket) => {
    arrivals++
    upgraded.add(socket)
    socket.on('error', () => {})
    socket.on('end', () => socket.end()) // a client's FIN ends the session, as a real WebSocket server does
    const key = String(req.headers['sec-websocket-key'])
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${acceptFor(`\r\nsec-websocket-key: ${key}\r\n`)}\r\n\r\n`)
    socket.resume()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals: () => arrivals,
    async close() {
      for (const s of upgraded) s.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

const REFUSED: FakeBackend = { url: REFUSED_ORIGIN, arrivals: () => 0, close: async () => {} }

// --- the data plane under test --------------------------------------------------------------

const recorder = createRecorder()
const allRoutes: RouteConfig[] = []
const TIMEOUTS = { connectMs: 1_000, headerMs: 300, idleMs: 5_000 }

interface Rig {
  readonly plane: HttpDataPlane
  readonly url: string
  readonly port: number
  readonly outcomes: Outcome[]
  readonly old: FakeBackend
  readonly new: FakeBackend
  close(): Promise<void>
}

async function startRig(name: string, column: Column, fault: Fault): Promise<Rig> {
  const failing = fault === 'refused' ? REFUSED : await startFaultyBackend(fault)
  const healthy = await startHealthyBackend()
  const alive = await startHealthyBackend()
  const sides = column === 'old'
    ? { old: failing, new: healthy }
    : column === 'new' ? { old: healthy, new: failing } : { old: failing, new: REFUSED }
  const routes = [
    routeConfig({ name: `${name}-alive`, old: [alive.url], new: [alive.url], match: { host: undefined, pathPrefix: '/alive' }, timeouts: TIMEOUTS }),
    routeConfig({ name, old: [sides.old.url], new: [sides.new.url], percentBp: column === 'old' ? 0 : 10_000, timeouts: TIMEOUTS }),
  ]
  allRoutes.push(...routes)
  recorder.setTargets(allRoutes, [])
  const bus = createOutcomeBus()
  const outcomes: Outcome[] = []
  bus.subscribe((o) => { outcomes.push(o); recorder.outcome(o) })
  const plane = new HttpDataPlane({ listen: { host: '127.0.0.1', port: 0 }, bus, logger: pino({ level: 'silent' }) })
  plane.setRoutes(routes, buildViews(routes, [], { targets: new Map(), members: new Map() }).routes)
  const { port } = await plane.listen()
  return {
    plane, port, url: `http://127.0.0.1:${port}`, outcomes, old: sides.old, new: sides.new,
    async close() {
      await plane.close(1_000)
      await Promise.all([failing.close(), healthy.close(), alive.close()])
    },
  }
}

// --- clients -----------------------------------------------------------------------------------

interface Seen {
  readonly status: number
  readonly code: string | undefined
  readonly cut: boolean
}

async function* chunkedBody(): AsyncGenerator<Buffer> {
  yield Buffer.from('ab')
  await new Promise((r) => setTimeout(r, 5))
  yield Buffer.from('c')
}

async function httpRequest(client: Client, method: Exclude<Method, 'ws'>): Promise<Seen> {
  const body = method === 'GET' ? null : method === 'POST' ? 'abc' : Readable.from(chunkedBody())
  let res
  try {
    res = await client.request({ path: '/x', method: method === 'GET' ? 'GET' : 'POST', body })
  } catch {
    return { status: 0, code: undefined, cut: true }
  }
  let text: string
  try {
    text = await res.body.text()
  } catch {
    return { status: res.statusCode, code: undefined, cut: true }
  }
  return { status: res.statusCode, code: codeOf(text), cut: false }
}

function codeOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code
  } catch {
    return undefined
  }
}

/**
 * A WebSocket handshake on a raw socket. `untilClose`: wait for the connection to end (sluice's
 * own answers, a tunnel the backend kills); otherwise stop once a 101 head arrived, and close the
 * tunnel from the client side (which ends the session and publishes its outcome).
 */
async function wsHandshake(port: number, untilClose: boolean): Promise<Seen> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  let text = ''
  try {
    const closed = await new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to the handshake within 5 s; got ${JSON.stringify(text)}`)), 5_000)
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1')
        if (!untilClose && text.includes('\r\n\r\n')) { clearTimeout(timer); resolve(false) }
      })
      socket.on('close', () => { clearTimeout(timer); resolve(true) })
      socket.write('GET /x HTTP/1.1\r\nhost: example.test\r\nupgrade: websocket\r\nconnection: Upgrade\r\n' +
        'sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
    })
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
    const body = text.slice(text.indexOf('\r\n\r\n') + 4)
    return { status, code: codeOf(body), cut: status === 101 && closed }
  } finally {
    socket.destroy()
  }
}

/** Polls until `cond` holds (the machine may be loaded: a generous deadline, never a fixed sleep). */
async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Non-zero `sluice_upstream_errors_total` series of one route, as 'backend/reason' → count. */
async function upstreamErrors(route: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const text = await recorder.render()
  for (const m of text.matchAll(/^sluice_upstream_errors_total\{([^}]*)\} (\d+)$/gm)) {
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    if (labels.route === route && Number(m[2]) > 0) out[`${labels.backend}/${labels.reason}`] = Number(m[2])
  }
  return out
}

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0)
  return out
}

// --- the matrix ----------------------------------------------------------------------------------

const CASES = COLUMNS.flatMap((column) =>
  METHODS.flatMap((method) => FAULTS.map((fault) => ({ column, method, fault }))))
let caseNo = 0
const processErrors: unknown[] = []
const onUncaught = (err: unknown): void => { processErrors.push(err) }
process.on('uncaughtException', onUncaught)
afterAll(() => { process.off('uncaughtException', onUncaught) })

describe('upstream fault matrix', () => {
  test('covers every cell: 3 columns × 4 methods × 6 faults', () => {
    expect(CASES).toHaveLength(72)
  })

  test.each(CASES)('$column × $method × $fault', async ({ column, method, fault }) => {
    const name = `case-${++caseNo}`
    const want = expected(column, method, fault)
    const crashesBefore = processErrors.length
    const rig = await startRig(name, column, fault)
    const client = new Client(rig.url)
    try {
      // close-on-reuse: one plain GET first, so the failing backend holds an idle keep-alive connection.
      const warmups = fault === 'close-on-reuse' ? 1 : 0
      if (warmups > 0) expect((await httpRequest(client, 'GET')).status).toBe(200)
      const warm = { old: rig.old.arrivals(), new: rig.new.arrivals() }
      const outcomesBefore = rig.outcomes.length
      const errorsBefore = await upstreamErrors(name)

      const seen = method === 'ws'
        ? await wsHandshake(rig.port, !(want.client.status === 101 && want.client.cut !== true))
        : await httpRequest(client, method)

      expect({ status: seen.status, code: seen.code, cut: seen.cut })
        .toEqual({ status: want.client.status, code: want.client.code, cut: want.client.cut === true })
      await until(() => rig.outcomes.length > outcomesBefore, 'the outcome')
      expect(rig.outcomes.slice(outcomesBefore)).toHaveLength(1)
      expect(rig.outcomes[outcomesBefore]).toMatchObject({ name, ...want.outcome, clientGone: false })
      const errors = delta(await upstreamErrors(name), errorsBefore)
      expect(errors).toEqual(want.outcome.error === undefined ? {} : { [`${want.outcome.side}/${want.outcome.error}`]: 1 })
      // Never twice: each backend saw the request at most as often as the table allows.
      expect({ old: rig.old.arrivals() - warm.old, new: rig.new.arrivals() - warm.new }).toEqual(want.arrivals)

      // The process is alive and the data plane serving.
      const alive = await client.request({ path: '/alive', method: 'GET' })
      expect(alive.statusCode).toBe(200)
      await alive.body.dump()
      expect(processErrors.slice(crashesBefore)).toEqual([])
    } finally {
      await client.destroy()
      await rig.close()
    }
  })
})
