import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openClient, startSilentBackend, startTunnelProxy, TEARDOWN_MS, waitFor, type TunnelProxy, type WsBackend } from '../../helpers/ws.js'

const CLIENTS = 20

/**
 * The http-proxy leak (its WebSocket proxy leaks upstream sockets): clients vanish with a TCP RST while the backend
 * never closes its side. Every socket the proxy opened to the backend must be destroyed (not just
 * half-closed), and the backend must see each of its connections end.
 */
describe('WebSocket tunnel: client resets while the backend stays silent', () => {
  let backend: WsBackend
  let proxy: TunnelProxy

  beforeAll(async () => {
    backend = await startSilentBackend()
    proxy = await startTunnelProxy(backend.origin)
  })
  afterAll(async () => {
    await proxy.close()
    await backend.close()
  })

  it(`destroys all ${CLIENTS} upstream sockets (the 1 s promise: bench/timings.mjs)`, async () => {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openClient(proxy.url)))
    expect(proxy.upstreamSockets).toHaveLength(CLIENTS)
    expect(backend.openSockets()).toBe(CLIENTS)
    expect(proxy.upstreamSockets.every((s) => !s.destroyed)).toBe(true)

    for (const { socket } of clients) socket.resetAndDestroy()
    await Promise.all(clients.map(({ ws }) => once(ws, 'close')))

    expect(await waitFor(() => proxy.upstreamSockets.every((s) => s.destroyed), TEARDOWN_MS)).toBe(true)
    expect(await waitFor(() => backend.endedSockets() === CLIENTS, TEARDOWN_MS)).toBe(true)
    expect(await waitFor(() => proxy.results.length === CLIENTS, TEARDOWN_MS)).toBe(true)
    expect(proxy.results.every((r) => r.status === 101 && r.error === undefined)).toBe(true)
  })
})
