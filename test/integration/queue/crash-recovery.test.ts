import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer, useRedis } from '../../helpers/redis-server.js'
import { waitFor } from '../../helpers/wait-for.js'
import {
  jobBodies, listIds, preload, queueConfig, exited, ROUTER_CHILD_DIST as DIST, startRouterChild as startChild,
} from './fixtures.js'

/**
 * The router in a child process, SIGKILLed mid-flow and started again: every job id arrives at
 * least once, and no more jobs arrive twice than the in-flight bound (what was taken and not yet
 * acknowledged when the process died). Both sinks are lists, which keep duplicates, so they show.
 */
const JOBS = 3_000
const CONCURRENCY = 32
/**
 * The child confirms each publish this long after the sink took the job: ~1,600 jobs/s flow, and the
 * kill lands with up to CONCURRENCY jobs published but not acknowledged (the duplicates window).
 */
const DELAY_MS = 20
const server = new RedisServer()

describe.skipIf(!REDIS_SERVER)(`queue router crash${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  const fx = useRedis(server)

  it('SIGKILL mid-flow, restart: every id at least once, duplicates within the in-flight bound', async () => {
    expect(existsSync(DIST), 'dist/ must be built first (npm test runs the build)').toBe(true)
    const queue = queueConfig({
      source: { type: 'redis-list', url: server.url, key: 'crash:in' },
      old: { type: 'redis-list', url: server.url, key: 'crash:old' },
      new: { type: 'redis-list', url: server.url, key: 'crash:new' },
      percentBp: 3_000,
    })
    await preload(fx.client, 'crash:in', jobBodies(JOBS, 500))
    const env = { SLUICE_QUEUE_CHILD: JSON.stringify({ queue, concurrency: CONCURRENCY, delayMs: DELAY_MS }) }
    const arrived = async () => (await fx.client.llen('crash:old')) + (await fx.client.llen('crash:new'))

    const first = await startChild(env)
    await waitFor(async () => (await arrived()) >= JOBS / 3, { timeoutMs: 15_000, intervalMs: 5, message: 'a third of the jobs' })
    first.kill('SIGKILL')
    await exited(first)
    // The kill landed mid-flow: jobs taken and not acknowledged (in processing), jobs not yet taken
    // (in the source), and not all delivered. Otherwise the restart below would prove nothing.
    const stranded = await fx.client.llen('crash:in:processing')
    expect(stranded).toBeGreaterThan(0)
    expect(stranded).toBeLessThanOrEqual(CONCURRENCY)
    expect(await fx.client.llen('crash:in')).toBeGreaterThan(0)
    expect(await arrived()).toBeLessThan(JOBS)

    const second = await startChild(env)
    await waitFor(async () => (await fx.client.llen('crash:in')) + (await fx.client.llen('crash:in:processing')) === 0, { timeoutMs: 20_000, intervalMs: 5, message: 'the source to drain' })
    second.kill('SIGTERM')
    await exited(second)

    const [oldIds, newIds] = await Promise.all([listIds(fx.client, 'crash:old'), listIds(fx.client, 'crash:new')])
    const all = new Map(oldIds)
    for (const [id, n] of newIds) all.set(id, (all.get(id) ?? 0) + n)
    for (let i = 0; i < JOBS; i++) expect(all.get(`j${i}`) ?? 0, `j${i}`).toBeGreaterThanOrEqual(1)
    const duplicates = [...all.values()].reduce((sum, n) => sum + n - 1, 0)
    expect(duplicates).toBeLessThanOrEqual(stranded) // only jobs left in processing can arrive twice
    expect(duplicates).toBeLessThanOrEqual(CONCURRENCY)
    // A job and its duplicate went to the same side: the decision is deterministic per tenant.
    for (const id of oldIds.keys()) expect(newIds.has(id)).toBe(false)
  }, 60_000)
})
