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
})
