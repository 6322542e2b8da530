import { once } from 'node:events'
import type { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openClient, startEchoBackend, startTunnelProxy, TEARDOWN_MS, waitFor, type TunnelProxy, type WsBackend } from '../../helpers/ws.js'

describe('WebSocket tunnel: the backend closes', () => {
  let backend: WsBackend
  let proxy: TunnelProxy
  let serverSide: WebSocket[] = []

  beforeAll(async () => {
    backend = await startEchoBackend((ws) => { serverSide.push(ws) })
    proxy = await startTunnelProxy(backend.origin)
  })
  afterAll(async () => {
    await proxy.close()
    await backend.close()
  })

  it('a close frame from the backend reaches the client with its code and reason', async () => {
    serverSide = []
    const { ws } = await openClient(proxy.url)
    expect(await waitFor(() => serverSide.length === 1, TEARDOWN_MS)).toBe(true)
    serverSide[0]!.close(4001, 'bye')
    const [code, reason] = await once(ws, 'close') as [number, Buffer]
    expect(code).toBe(4001)
    expect(reason.toString()).toBe('bye')
  })

  it('a backend that drops the connection closes the client and frees the upstream socket', async () => {
    serverSide = []
    const known = proxy.upstreamSockets.length
    const { ws } = await openClient(proxy.url)
    expect(await waitFor(() => serverSide.length === 1, TEARDOWN_MS)).toBe(true)
    serverSide[0]!.terminate()
    const [code] = await once(ws, 'close') as [number]
    expect(code).toBe(1006) // abnormal closure: no close frame
    expect(await waitFor(() => proxy.upstreamSockets.slice(known).every((s) => s.destroyed), TEARDOWN_MS)).toBe(true)
  })
})
