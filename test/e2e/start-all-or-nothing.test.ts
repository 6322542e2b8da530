import { createServer, type Server } from 'node:net'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SluiceApp } from '../../src/app/index.js'
import { loadConfigText } from '../../src/config/index.js'
import { createLogger } from '../../src/observe/log.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../helpers/redis-server.js'
import { runCli, SluiceProcess } from '../helpers/sluice-process.js'

/**
 * Issue 11 §6: a failed start leaves nothing running. Before the fix the queue routers started
 * before the listeners, so an EADDRINUSE left a process consuming jobs without an admin plane.
 */
describe.skipIf(!REDIS_SERVER)(`start is all or nothing${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  let redis: RedisServer
  let client: Redis
  let blocker: Server
  let port = 0
  const JOB = JSON.stringify({ id: 'j1', tenantId: 't1' })

  beforeEach(async () => {
    redis = await new RedisServer().start()
    client = new Redis(redis.url)
    await client.lpush('jobs:in', JOB)
    // A port someone else holds.
    blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    port = (blocker.address() as { port: number }).port
  })
  afterEach(async () => {
    await new Promise<void>((r) => blocker.close(() => r()))
    client.disconnect()
    await redis.close()
  })

  const config = (data: string, admin: string) => `listen: ${data}
admin: { listen: ${admin} }
shutdown: { drainDelay: 0s, timeout: 2s }
state: { store: redis, redis: "${redis.url}" }
routes: []
queues:
  - name: emails
    source: { type: redis-list, url: "${redis.url}", key: "jobs:in" }
    old: { type: redis-list, url: "${redis.url}", key: "jobs:old" }
    new: { type: redis-list, url: "${redis.url}", key: "jobs:new" }
    sticky: [json:tenantId]
`

  /** The job is still in its source, untouched; no sink got it. */
  async function expectJobUntouched(): Promise<void> {
    expect(await client.lrange('jobs:in', 0, -1)).toEqual([JOB])
    expect(await client.llen('jobs:old')).toBe(0)
    expect(await client.llen('jobs:new')).toBe(0)
  }

  it.each([
    ['the admin port', (p: number) => config('127.0.0.1:0', `127.0.0.1:${p}`)],
    ['the data port', (p: number) => config(`127.0.0.1:${p}`, '127.0.0.1:0')],
  ])('%s taken: exit 1 with the reason, no queue job consumed', async (_what, yaml) => {
    const sluice = new SluiceProcess(yaml(port))
    try {
      const r = await runCli(['start', '--config', sluice.configPath], {}, 20_000)
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(new RegExp(`SLUICE_ERR_LISTEN|listen on 127\\.0\\.0\\.1:${port}`))
      expect(r.stderr).toContain(`127.0.0.1:${port}`)
      expect(r.stdout).toContain('start failed: stopping everything that had started')
      await expectJobUntouched()
    } finally {
      await sluice.stop()
    }
  })

  it('in process: start() rejects, closed resolves 1, no listener left, every Redis connection (store, queue source) is closed', async () => {
    const listeners = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length
    const before = listeners()
    const loaded = await loadConfigText(config('127.0.0.1:0', `127.0.0.1:${port}`), 'test.yaml', {})
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
    const app = new SluiceApp({ config: loaded.config, configHash: loaded.hash, logger: createLogger({ level: 'silent' }) })

    await expect(app.start()).rejects.toMatchObject({ code: 'SLUICE_ERR_LISTEN' })
    expect(await app.closed).toBe(1)
    // The data plane had bound its port before the admin plane failed: it is closed again.
    expect(listeners()).toBe(before)
    // Only this test's own connection is left (connections close asynchronously: poll).
    const deadline = Date.now() + 10_000
    let clients = ''
    while (Date.now() < deadline) {
      clients = await client.client('LIST') as string
      if (clients.trim().split('\n').length === 1) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(clients.trim().split('\n')).toHaveLength(1)
    await expectJobUntouched()
    expect(() => app.addresses).toThrow(/has not started/)
  })
})
