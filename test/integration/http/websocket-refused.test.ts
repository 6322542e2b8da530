import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { refusedUpgrade, startRefusingBackend, startTunnelProxy, waitFor, type TunnelProxy, type WsBackend } from '../../helpers/ws.js'

describe('WebSocket tunnel: the backend refuses the upgrade', () => {
  let backend: WsBackend
  let proxy: TunnelProxy

  beforeAll(async () => {
    backend = await startRefusingBackend(403, '{"reason":"not on the list"}')
    proxy = await startTunnelProxy(backend.origin, { backendHeader: 'old' })
  })
  afterAll(async () => {
    await proxy.close()
    await backend.close()
  })

  it('relays the 403, its headers and its body to the client, then reports 403', async () => {
    const answer = await refusedUpgrade(proxy.url)
    expect(answer.status).toBe(403)
    expect(answer.body).toBe('{"reason":"not on the list"}')
    expect(answer.headers['x-backend-says']).toBe('no')
    expect(answer.headers['x-sluice-backend']).toBe('old')
    expect(answer.headers.connection).toBe('close')
    expect(await waitFor(() => proxy.results.length === 1, 2_000)).toBe(true)
    expect(proxy.results[0]).toMatchObject({ status: 403, error: undefined })
  })
})
