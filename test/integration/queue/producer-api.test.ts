import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { createJobRouter, type ProducerJobRouter } from '../../../src/index.js'
import { splitHash, thresholdFor } from '../../../src/core/bucket.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../../helpers/redis-server.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * Of the fixed tenants t0 … t199 at 30 % on queue "emails", this many are on new (the bucket
 * function's answer, pinned).
 */
const NEW_TENANTS = 67

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
    // The tenants are fixed, so the split is known exactly: each tenant where the bucket puts it.
    for (const [tenant, side] of sideOf) expect(side, tenant).toBe(splitHash('emails', tenant) < thresholdFor(3_000) ? 'new' : 'old')
    const newTenants = [...sideOf.values()].filter((s) => s === 'new').length
    expect(newTenants).toBe(NEW_TENANTS)
    // Each tenant sent 5 jobs; each job is in exactly the sink of its tenant's side.
    expect(await client.xlen('jobs:v2')).toBe(NEW_TENANTS * 5)
    expect(await client.llen('jobs:legacy')).toBe((200 - NEW_TENANTS) * 5)
  })

  it('the embedded admin plane shows the queue and takes levers; metrics count the jobs', async () => {
    const admin = `http://127.0.0.1:${router.app.addresses.admin.port}`
    const q = await (await fetch(`${admin}/api/queues/emails`)).json() as Record<string, unknown>
    expect(q).toMatchObject({ name: 'emails', kind: 'queue', percent: 30, source: { type: 'producer-api' } })
    const put = await fetch(`${admin}/api/queues/emails/percent`, { method: 'PUT', body: JSON.stringify({ percent: 100 }), headers: { 'content-type': 'application/json' } })
    expect(put.status).toBe(200)
    expect((await router.add({ tenantId: 't0' })).backend).toBe('new')
    const metrics = await (await fetch(`${admin}/metrics`)).text()
    // 1,000 jobs of the first test (NEW_TENANTS × 5 on new) plus the one just added at 100 %.
    expect(metrics).toContain(`sluice_jobs_total{queue="emails",backend="new",outcome="routed"} ${NEW_TENANTS * 5 + 1}`)
    expect(metrics).toContain(`sluice_jobs_total{queue="emails",backend="old",outcome="routed"} ${(200 - NEW_TENANTS) * 5}`)
  })

  it('reportOutcome feeds the analysis window (not the routing metrics): failing new workers roll the queue back', async () => {
    // A second producer on its own queue with a rollout: the only analysis input is what its
    // workers report, so a rollback can only come from reportOutcome.
    const config = join(dir, 'audits.yaml')
    writeFileSync(config, `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
shutdown: { drainDelay: 0s, timeout: 2s }
log: { level: error }
queues:
  - name: audits
    old: { type: redis-list, url: ${redis.url}, key: "audits:legacy" }
    new: { type: redis-list, url: ${redis.url}, key: "audits:v2" }
    rollout:
      steps: [50, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 40, maxErrorRate: 0.05, failureLimit: 1 }
`)
    const audits = await createJobRouter({ config, queue: 'audits' })
    try {
      const admin = `http://127.0.0.1:${audits.app.addresses.admin.port}`
      const queue = async () => await (await fetch(`${admin}/api/queues/audits`)).json() as Record<string, unknown>
      await waitFor(async () => (await queue()).percent === 50, { message: 'the first step (50 %)' })
      // One synchronous burst: all of it lands in one analysis window, so its figures are exact.
      for (let i = 0; i < 40; i++) audits.reportOutcome({ backend: 'new', ok: false, jobId: `a-${i}`, durationMs: 3 })
      for (let i = 0; i < 40; i++) audits.reportOutcome({ backend: 'old', ok: true, jobId: `b-${i}`, durationMs: 3 })
      await waitFor(async () => (await queue()).state === 'rolled_back', { timeoutMs: 15_000, message: 'the queue to be rolled back' })
      const history = await (await fetch(`${admin}/api/queues/audits/history`)).json() as { events: Array<Record<string, unknown>> }
      expect(history.events.at(-1)).toMatchObject({
        actor: 'analysis',
        figures: { failed: ['maxErrorRate'], new: { requests: 40, errors: 40 }, old: { requests: 40, errors: 0 } },
      })
      const metrics = await (await fetch(`${admin}/metrics`)).text()
      expect(metrics).toContain('sluice_rollbacks_total{kind="queue",name="audits",reason="error_rate"} 1')
      // A worker's result is not a routing event: no job was routed through this producer.
      expect(metrics).not.toMatch(/sluice_jobs_total\{queue="audits",[^}]*\} [1-9]/)
      expect(await client.llen('audits:legacy') + await client.llen('audits:v2')).toBe(0)
    } finally {
      await audits.close()
    }
  })
})
