import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { createJobRouter, type ProducerJobRouter } from '../../../src/index.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../../helpers/redis-server.js'

describe.skipIf(!REDIS_SERVER)(`createJobRouter: the producer API${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  const redis = new RedisServer()
  const dir = mkdtempSync(join(tmpdir(), 'sluice-producer-'))
  let router: ProducerJobRouter
  let client: Redis

  beforeAll(async () => {
    await redis.start()
    client = new Redis(redis.url)
    const config = join(dir, 'sluice.yaml')
    writeFileSync(config, `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
shutdown: { drainDelay: 0s, timeout: 2s }
log: { level: error }
queues:
  - name: emails
    old: { type: redis-list, url: ${redis.url}, key: "jobs:legacy" }
    new: { type: redis-stream, url: ${redis.url}, key: "jobs:v2" }
    percent: 30
    sticky: [json:tenantId]
`)
    router = await createJobRouter({ config, queue: 'emails' })
  })
  afterAll(async () => {
    await router?.close()
    client?.disconnect()
    await redis.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('routes jobs with the same sticky decision, each to exactly one sink, a tenant always to one side', async () => {
    const sideOf = new Map<string, string>()
    for (let i = 0; i < 1000; i++) {
      const tenant = `t${i % 200}`
      const r = await router.add({ id: `job-${i}`, tenantId: tenant, n: i })
      expect(r.id).toBe(`job-${i}`)
      expect(sideOf.get(tenant) ?? r.backend).toBe(r.backend)
      sideOf.set(tenant, r.backend)
    }
    const legacy = await client.llen('jobs:legacy')
    const v2 = await client.xlen('jobs:v2')
    expect(legacy + v2).toBe(1000)
    const newTenants = [...sideOf.values()].filter((s) => s === 'new').length
    expect(newTenants / 200).toBeGreaterThan(0.2)
    expect(newTenants / 200).toBeLessThan(0.4)
  })

  it('the embedded admin plane shows the queue and takes levers; metrics count the jobs', async () => {
    const admin = `http://127.0.0.1:${router.app.addresses.admin.port}`
    const q = await (await fetch(`${admin}/api/queues/emails`)).json() as Record<string, unknown>
    expect(q).toMatchObject({ name: 'emails', kind: 'queue', percent: 30, source: { type: 'producer-api' } })
    const put = await fetch(`${admin}/api/queues/emails/percent`, { method: 'PUT', body: JSON.stringify({ percent: 100 }), headers: { 'content-type': 'application/json' } })
    expect(put.status).toBe(200)
    expect((await router.add({ tenantId: 't0' })).backend).toBe('new')
    const metrics = await (await fetch(`${admin}/metrics`)).text()
    expect(metrics).toMatch(/sluice_jobs_total\{queue="emails",backend="new",outcome="routed"\} \d+/)
    router.reportOutcome({ backend: 'new', ok: false, jobId: 'job-1' })
  })
})
