import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { WebSocketServer } from 'ws'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { loadConfigText } from '../../../src/config/load.js'
import { startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { openClient, startEchoBackend, waitFor, type WsBackend } from '../../helpers/ws.js'
import { createTestCa, type TestCa } from '../../helpers/tls-certs.js'

/**
 * WebSocket handshakes to an https backend take the same server name and Host rules as plain
 * requests; when new's TLS handshake fails, the fallback on old gets old's own Host rule.
 */

let ca: TestCa
let wss: {
  port: number; seen: { servername: unknown; host: unknown; forwardedHost: unknown }[]; close(): Promise<void>
}
let oldSide: WsBackend
const oldHosts: unknown[] = []
let dp: TestDataPlane

beforeAll(async () => {
  ca = await createTestCa()
  const leaf = await ca.issue('localhost', ['localhost'])
  const server = createServer({ cert: leaf.cert, key: leaf.key })
  const wsServer = new WebSocketServer({ server })
  const seen: { servername: unknown; host: unknown; forwardedHost: unknown }[] = []
  wsServer.on('connection', (ws, req: IncomingMessage) => {
    seen.push({ servername: (req.socket as TLSSocket).servername, host: req.headers.host, forwardedHost: req.headers['x-forwarded-host'] })
    ws.send('hello from https')
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  wss = {
    port: (server.address() as AddressInfo).port, seen,
    close: async () => {
      for (const c of wsServer.clients) c.terminate()
      wsServer.close()
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
  oldSide = await startEchoBackend((ws, req) => { oldHosts.push(req.headers.host); ws.send('hello from old') })
  const loaded = await loadConfigText(`routes:
  - name: tls
    match: { pathPrefix: /tls }
    old: ${oldSide.origin}
    new: { url: "https://localhost:${wss.port}", tls: { ca: ca.pem } }
    percent: 100
  - name: untrusted
    match: { pathPrefix: /untrusted }
    old: ${oldSide.origin}
    new: "https://localhost:${wss.port}"
    percent: 100
`, 'sluice.yaml', {}, ca.dir)
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
  dp = await startDataPlane(loaded.config.routes)
})

afterAll(async () => {
  await dp?.close()
  await wss?.close()
  await oldSide?.close()
  await ca?.remove()
})

test('a WebSocket to an https backend: SNI and Host from its URL, the client Host in x-forwarded-host', async () => {
  const { ws, received } = await openClient(`ws://127.0.0.1:${dp.port}/tls`)
  expect(await waitFor(() => received.length === 1, 2_000)).toBe(true)
  expect(received).toEqual(['hello from https'])
  ws.close()
  await once(ws, 'close')
  expect(wss.seen.at(-1)).toEqual({ servername: 'localhost', host: `localhost:${wss.port}`, forwardedHost: `127.0.0.1:${dp.port}` })
})

test("new's failed TLS handshake falls back to old, which gets the client's Host (old's rule)", async () => {
  const { ws, received } = await openClient(`ws://127.0.0.1:${dp.port}/untrusted`)
  expect(await waitFor(() => received.length === 1, 2_000)).toBe(true)
  expect(received).toEqual(['hello from old'])
  expect(oldHosts.at(-1)).toBe(`127.0.0.1:${dp.port}`)
  ws.close()
  await once(ws, 'close')
  // Outcomes are published when a session ends: find this route's.
  expect(await waitFor(() => dp.outcomes.some((x) => x.name === 'untrusted'), 2_000)).toBe(true)
  expect(dp.outcomes.find((x) => x.name === 'untrusted')).toMatchObject({ side: 'new', servedBy: 'old', status: 101, error: 'tls', fellBack: true })
})
