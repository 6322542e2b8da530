import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A Node http origin for fuzzing: it records every request it parses, complete or not (method, url,
 * raw headers, body bytes), answers complete ones 200 with its name as the body, and echoes the
 * request's fuzz id (`~f<id>~` in the url) in `x-fuzz-seen`, so a client can tell which request an
 * answer belongs to. Unlike Node's defaults it keeps every header (no 2,000-header cut) and accepts
 * heads up to 256 KiB, so it never hides what the proxy forwarded.
 */

export interface OriginRecord {
  readonly origin: string
  /** The connection it came on, numbered per origin from 1. */
  readonly connection: number
  readonly method: string
  readonly url: string
  readonly rawHeaders: readonly string[]
  readonly body: Buffer
  /** The request's body ended normally ('end'); false when the connection broke first. */
  readonly complete: boolean
}

export interface RecordingOrigin {
  readonly name: string
  readonly url: string
  readonly records: OriginRecord[]
  /** Requests whose record is not written yet (still receiving their body). */
  inflight(): number
  close(): Promise<void>
}

export const FUZZ_ID = /~f([0-9a-z]+)~/

export async function startRecordingOrigin(name: string): Promise<RecordingOrigin> {
  const records: OriginRecord[] = []
  let inflight = 0
  const connectionIds = new WeakMap<Socket, number>()
  const server = createServer({ maxHeaderSize: 256 * 1024 }, (req, res) => {
    inflight++
    receive(name, connectionIds.get(req.socket) ?? 0, req, res, (r) => {
      inflight--
      records.push(r)
    })
  })
  server.maxHeadersCount = 0
  server.keepAliveTimeout = 30_000
  const sockets = new Set<Socket>()
  let accepted = 0
  server.on('connection', (s: Socket) => {
    connectionIds.set(s, ++accepted)
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    name, url: `http://127.0.0.1:${port}`, records, inflight: () => inflight,
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function receive(
  name: string, connection: number, req: IncomingMessage, res: ServerResponse, done: (r: OriginRecord) => void,
): void {
  const chunks: Buffer[] = []
  let recorded = false
  const finish = (complete: boolean): void => {
    if (recorded) return
    recorded = true
    const url = req.url ?? ''
    done({ origin: name, connection, method: req.method ?? '', url, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), complete })
    if (!complete) return
    res.writeHead(200, { 'content-type': 'text/plain', 'x-fuzz-seen': FUZZ_ID.exec(url)?.[1] ?? '-' })
    res.end(name)
  }
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => finish(true))
  req.on('close', () => finish(req.complete))
  req.on('error', () => {})
}
