import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REFUSED_ORIGIN } from '../../helpers/backends.js'
import { refusedUpgrade, startTunnelProxy, waitFor, type TunnelProxy } from '../../helpers/ws.js'

describe('WebSocket tunnel: the backend is down', () => {
  let proxy: TunnelProxy

  beforeAll(async () => {
    proxy = await startTunnelProxy(REFUSED_ORIGIN, { backendHeader: 'new' })
  })
  afterAll(async () => {
    await proxy.close()
  })

  it('answers 502 with a short JSON body and reports a connect error', async () => {
    const answer = await refusedUpgrade(proxy.url)
    expect(answer.status).toBe(502)
    expect(answer.headers['content-type']).toBe('application/json')
    expect(answer.headers['x-sluice-backend']).toBe('new')
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: 'upstream_connect', message: expect.any(String) as string },
    })
    expect(await waitFor(() => proxy.results.length === 1, 2_000)).toBe(true)
    expect(proxy.results[0]).toMatchObject({ status: 502, error: 'connect' })
  })
})
