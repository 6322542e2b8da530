import { createServer } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../helpers/redis-server.js'

describe.skipIf(!REDIS_SERVER)(`private redis-server helper${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  const server = new RedisServer()
  afterAll(() => server.close())

  it('starts on its own port, stops (outage) and restarts on the same port', async () => {
    await server.start()
    expect(server.port).not.toBe(6379)
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    client.on('error', () => {}) // the outage below is deliberate
    await client.connect()
    expect(await client.set('k', 'v')).toBe('OK')
    await server.stop()
    await expect(client.get('k')).rejects.toThrow()
    await server.restart()
    expect(await client.ping()).toBe('PONG')
    expect(await client.get('k')).toBeNull() // nothing persisted: --save '' --appendonly no
    client.disconnect()
  })

  it('restart() waits for its port while something else holds it, then binds it', async () => {
    await server.stop()
    // Another process grabs the port during the outage and lets it go 400 ms later.
    const squatter = createServer()
    await new Promise<void>((r) => squatter.listen(server.port, '127.0.0.1', r))
    setTimeout(() => squatter.close(), 400)
    const started = Date.now()
    await server.restart()
    expect(Date.now() - started).toBeGreaterThanOrEqual(350)
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    expect(await client.ping()).toBe('PONG')
    client.disconnect()
  })

  it('restart() gives up with the reason when the port stays taken', async () => {
    await server.stop()
    const squatter = createServer()
    await new Promise<void>((r) => squatter.listen(server.port, '127.0.0.1', r))
    try {
      await expect(server.restart(500)).rejects.toThrow(/already in use/i)
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()))
    }
  })
})
