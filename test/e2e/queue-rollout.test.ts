import { createServer, type Server } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { runCli, SluiceProcess, testConfig } from '../helpers/sluice-process.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../helpers/redis-server.js'
import { waitFor } from '../helpers/wait-for.js'

/** Issue 5 end to end: `sluice start` with a queue, its rollout judged on the sinks' results. */
describe.skipIf(!REDIS_SERVER)(`queue rollout through sluice start${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  let redis: RedisServer
  let client: Redis
  let sluice: SluiceProcess | undefined
  let sink: Server | undefined
  let sinkHits = 0

  beforeEach(async () => {
    redis = await new RedisServer().start()
    client = new Redis(redis.url)
    sinkHits = 0
    // The new system is an HTTP endpoint that refuses every job.
    sink = createServer((req, res) => { sinkHits++; req.resume(); res.writeHead(500).end() })
    await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', r))
  })
  afterEach(async () => {
    await sluice?.stop()
    client.disconnect()
    await redis.close()
    await new Promise<void>((r) => sink!.close(() => r()))
  })

  it('a failing http sink: every job ends on old, the queue is rolled back, sluice_jobs_total and backlog are exported', async () => {
    const sinkUrl = `http://127.0.0.1:${(sink!.address() as { port: number }).port}/jobs`
    sluice = await new SluiceProcess(testConfig('', `queues:
  - name: emails
    source: { type: redis-list, url: ${redis.url}, key: "jobs:in" }
    old: { type: redis-list, url: ${redis.url}, key: "jobs:legacy" }
    new: { type: http, url: ${sinkUrl}, timeout: 2s, retries: 0 }
    sticky: [json:tenantId]
    rollout:
      steps: [50, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 20, maxErrorRate: 0.05, failureLimit: 2 }
`)).start()
    let pushed = 0
    const feed = setInterval(() => {
      const batch = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `j${pushed + i}`, tenantId: `t${(pushed + i) % 97}` }))
      pushed += batch.length
      void client.lpush('jobs:in', ...batch)
    }, 100)
    const wait = await runCli(['wait', 'emails', '--admin', sluice.admin, '--timeout', '20s'], {}, 30_000)
    clearInterval(feed)
    expect(wait.code).toBe(1)
    expect(wait.stdout).toContain('queue emails: rolled_back at 0%')
    expect(sinkHits).toBeGreaterThan(0)
    // Nothing is lost: every pushed job ends on old (after the router drains what is left).
    await waitFor(async () => (await client.llen('jobs:legacy')) >= pushed, { timeoutMs: 15_000, intervalMs: 100, message: 'every pushed job on old' })
    expect(await client.llen('jobs:legacy')).toBe(pushed)
    expect(await client.llen('jobs:in')).toBe(0)
    const metrics = await (await fetch(`${sluice.admin}/metrics`)).text()
    expect(metrics).toMatch(/sluice_jobs_total\{queue="emails",backend="new",outcome="failed"\} [1-9]/)
    expect(metrics).toMatch(/sluice_jobs_total\{queue="emails",backend="old",outcome="routed"\} [1-9]/)
    expect(metrics).toContain('sluice_rollbacks_total{kind="queue",name="emails",reason="error_rate"} 1')
    expect(metrics).toMatch(/sluice_queue_backlog\{queue="emails"\} \d+/)
  }, 60_000)
  it('workers of the new system failing their jobs (POST …/outcomes) get the queue rolled back', async () => {
    sluice = await new SluiceProcess(testConfig('', `queues:
  - name: emails
    source: { type: redis-list, url: ${redis.url}, key: "jobs:in" }
    old: { type: redis-list, url: ${redis.url}, key: "jobs:legacy" }
    new: { type: redis-list, url: ${redis.url}, key: "jobs:v2" }
    rollout:
      steps: [50, 100]
      interval: 1h
      analysis: { window: 1s, minRequests: 20, maxErrorRateVsOld: 2, failureLimit: 2 }
`)).start()
    const report = setInterval(() => {
      const outcomes = [
        ...Array.from({ length: 30 }, (_, i) => ({ backend: 'new', ok: i % 3 !== 0, durationMs: 5 })), // a third fail
        ...Array.from({ length: 30 }, () => ({ backend: 'old', ok: true, durationMs: 5 })),
      ]
      void fetch(`${sluice!.admin}/api/queues/emails/outcomes`, { method: 'POST', body: JSON.stringify({ outcomes }), headers: { 'content-type': 'application/json' } })
    }, 200)
    const wait = await runCli(['wait', 'emails', '--admin', sluice.admin, '--timeout', '15s'], {}, 25_000)
    clearInterval(report)
    expect(wait.code).toBe(1)
    const h = JSON.parse((await runCli(['history', 'emails', '-o', 'json', '--admin', sluice.admin])).stdout) as { events: Array<{ actor: string; figures: { failed: string[] } }> }
    expect(h.events.at(-1)).toMatchObject({ actor: 'analysis', figures: { failed: ['maxErrorRateVsOld'] } })
  }, 60_000)
})
