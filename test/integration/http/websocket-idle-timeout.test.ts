import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openClient, startSilentBackend, startTunnelProxy, TEARDOWN_MS, waitFor, type TunnelProxy, type WsBackend } from '../../helpers/ws.js'

const IDLE_MS = 300

describe('WebSocket tunnel: idle timeout', () => {
  let backend: WsBackend
  let proxy: TunnelProxy

  beforeAll(async () => {
    backend = await startSilentBackend()
    proxy = await startTunnelProxy(backend.origin, { idleMs: IDLE_MS })
  })
  afterAll(async () => {
    await proxy.close()
    await backend.close()
  })

  it('closes a tunnel nobody speaks on, on both sides', async () => {
    const { ws } = await openClient(proxy.url)
    let code = 0
    ws.once('close', (c: number) => { code = c })
    expect(await waitFor(() => code !== 0, 10 * IDLE_MS)).toBe(true)
    expect(code).toBe(1006)
    const torn = await waitFor(
      () => proxy.upstreamSockets.length === 1 && proxy.upstreamSockets[0]!.destroyed, TEARDOWN_MS,
    )
    expect(torn).toBe(true)
    expect(await waitFor(() => backend.endedSockets() === 1, TEARDOWN_MS)).toBe(true)
    expect(await waitFor(() => proxy.results.length === 1, TEARDOWN_MS)).toBe(true)
    expect(proxy.results).toMatchObject([{ status: 101, error: undefined }])
  })
})
