import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net'

/**
 * Origins for data-plane tests. Everything listens on 127.0.0.1 port 0, and every close() destroys
 * the sockets it accepted, so a test leaves nothing behind.
 */

/**
 * An origin that refuses connections. Port 1 needs root to bind and nothing listens on it here,
 * so a connect fails with ECONNREFUSED; no port is probed and then reused.
 */
export const REFUSED_ORIGIN = 'http://127.0.0.1:1'

export interface RecordedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly rawHeaders: readonly string[]
  /** Body bytes received (the default handler only). */
  readonly bodyBytes: number
  /** The body itself, kept up to 1 MiB (the default handler only). */
  readonly body: Buffer
}

export interface TestBackend {
  readonly name: string
  /** 'http://127.0.0.1:PORT' */
  readonly url: string
  readonly server: Server
  /** Every request, in arrival order; with a custom handler, recorded when the headers arrive. */
  readonly requests: RecordedRequest[]
  close(): Promise<void>
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

const KEEP_BODY_BYTES = 1024 * 1024

/**
 * A Node http origin. The default handler reads the whole body (counting it, keeping the first MiB)
 * and answers 200 with its name as the body and an `x-backend: NAME` header.
 */
export async function startBackend(name: string, handler?: Handler): Promise<TestBackend> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    if (handler) {
      requests.push(record(req, 0, Buffer.alloc(0)))
      return handler(req, res)
    }
    const chunks: Buffer[] = []
    let bytes = 0
    req.on('data', (c: Buffer) => {
      if (bytes < KEEP_BODY_BYTES) chunks.push(c)
      bytes += c.length
    })
    req.on('end', () => {
      requests.push(record(req, bytes, Buffer.concat(chunks)))
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name })
      res.end(name)
    })
  })
  const sockets = trackSockets(server)
  const port = await listen(server)
  return {
    name, url: `http://127.0.0.1:${port}`, server, requests,
    close: () => closeServer(server, sockets),
  }
}

function record(req: IncomingMessage, bodyBytes: number, body: Buffer): RecordedRequest {
  return { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, bodyBytes, body }
}

export interface RawOrigin {
  readonly url: string
  /** The exact request heads received (request line and headers, without the blank line). */
  readonly heads: string[]
  /** Connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

/**
 * A `net` origin that records the exact bytes of each request head and answers every head with
 * `response` verbatim: it sees (and sends) what a Node http server would normalise away.
 * Requests must be bodyless.
 */
export async function startRawOrigin(response: string): Promise<RawOrigin> {
  const heads: string[] = []
  let accepted = 0
  const server = createNetServer((socket) => {
    accepted++
    let buffered = ''
    socket.on('error', () => {})
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1')
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        heads.push(buffered.slice(0, end))
        buffered = buffered.slice(end + 4)
        socket.write(response, 'latin1')
      }
    })
  })
  const sockets = trackSockets(server)
  const port = await listen(server)
  return { url: `http://127.0.0.1:${port}`, heads, connections: () => accepted, close: () => closeServer(server, sockets) }
}

/**
 * Listens on 127.0.0.1 port 0 with a server the test built itself (an origin that misbehaves on
 * purpose); `close()` destroys every socket it accepted, then closes the server.
 */
export async function listenOnLoopback(server: Server | NetServer): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = trackSockets(server)
  const port = await listen(server)
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server, sockets) }
}

/** Header lines of a raw head, lower-cased names: [['host', 'x'], …]. */
export function headerLines(head: string): [string, string][] {
  return head.split('\r\n').slice(1).map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
  })
}

async function listen(server: Server | NetServer): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

function trackSockets(server: Server | NetServer): Set<Socket> {
  const open = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    open.add(s)
    s.on('close', () => open.delete(s))
  })
  return open
}

async function closeServer(server: Server | NetServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}
