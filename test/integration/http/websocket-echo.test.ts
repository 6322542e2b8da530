import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openClient, startEchoBackend, startTunnelProxy, waitFor, type TunnelProxy, type WsBackend } from '../../helpers/ws.js'

describe('WebSocket tunnel: echo through the proxy', () => {
  let backend: WsBackend
  let proxy: TunnelProxy

  beforeAll(async () => {
    backend = await startEchoBackend()
    proxy = await startTunnelProxy(backend.origin, { backendHeader: 'new' })
  })
  afterAll(async () => {
    await proxy.close()
    await backend.close()
  })

  it('relays text frames both ways, marks the 101, and reports a 101 once closed', async () => {
    const before = proxy.results.length
    const { ws, headers } = await openClient(proxy.url)
    expect(headers['x-sluice-backend']).toBe('new')
    expect(headers['sec-websocket-accept']).toBeDefined()
    ws.send('hello, tunnel')
    const [data, isBinary] = await once(ws, 'message') as [Buffer, boolean]
    expect(isBinary).toBe(false)
    expect(data.toString('utf8')).toBe('hello, tunnel')
    ws.close()
    await once(ws, 'close')
    expect(await waitFor(() => proxy.results.length === before + 1, 2_000)).toBe(true)
    expect(proxy.results[before]).toMatchObject({ status: 101, error: undefined })
  })

  it('relays a 1 MiB binary frame intact', async () => {
    const { ws } = await openClient(proxy.url)
    const payload = randomBytes(1024 * 1024)
    ws.send(payload)
    const [data, isBinary] = await once(ws, 'message') as [Buffer, boolean]
    expect(isBinary).toBe(true)
    expect(data.equals(payload)).toBe(true)
    ws.close()
    await once(ws, 'close')
  })

  it('forwards a frame the client sent together with its handshake (the upgrade head)', async () => {
    const url = new URL(proxy.url)
    const socket = connect(Number(url.port), url.hostname)
    await once(socket, 'connect')
    // One write: request head, then a masked text frame "early" (RFC 6455 §5.2; mask 0x01020304).
    const payload = Buffer.from('early')
    const mask = Buffer.from([1, 2, 3, 4])
    const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))
    socket.write(Buffer.concat([
      Buffer.from(`GET / HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'),
      Buffer.from([0x81, 0x80 | payload.length]), mask, masked,
    ]))
    let received = Buffer.alloc(0)
    const echoed = Buffer.concat([Buffer.from([0x81, payload.length]), payload]) // server frames are unmasked
    socket.on('data', (chunk: Buffer) => { received = Buffer.concat([received, chunk]) })
    expect(await waitFor(() => received.includes(echoed), 2_000)).toBe(true)
    expect(received.toString('latin1')).toMatch(/^HTTP\/1\.1 101 /)
    socket.destroy()
  })
})
