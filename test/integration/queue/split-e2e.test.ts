import { describe, expect, it } from 'vitest'
import { splitHash, thresholdFor } from '../../../src/core/bucket.js'
import { QueueDataPlane } from '../../../src/dataplane/queue/plane.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer, useRedis } from '../../helpers/redis-server.js'
import { collectOutcomes, jobBodies, listIds, preload, queueConfig, queueViews, silent, streamIds, until } from './fixtures.js'

/**
 * 10,000 jobs from a redis-list source at 30 % with sticky json:tenantId: old is a redis-list, new a
 * redis-stream. Tenants are the unit of the split, so the tolerance is computed on tenants: 2,500
 * tenants give a binomial standard deviation of 0.9 points, and ±2 points is over two of them (the
 * hash is deterministic, so the figure below is the same on every run).
 */
const JOBS = 10_000
const TENANTS = 2_500
const PERCENT_BP = 3_000
const server = new RedisServer()

describe.skipIf(!REDIS_SERVER)(`queue split end to end${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  const fx = useRedis(server)

  it('every job arrives exactly once, on its tenant\'s side, at 30 % ± 2', async () => {
    const q = queueConfig({
      name: 'emails',
      source: { type: 'redis-list', url: server.url, key: 'jobs:in' },
      old: { type: 'redis-list', url: server.url, key: 'jobs:old' },
      new: { type: 'redis-stream', url: server.url, key: 'jobs:new', group: undefined },
      percentBp: PERCENT_BP,
    })
    await preload(fx.client, 'jobs:in', jobBodies(JOBS, TENANTS))
    const { bus, outcomes } = collectOutcomes()
    const plane = new QueueDataPlane({ bus, logger: silent })
    await plane.setQueues([q], queueViews([q]))
    await until(() => outcomes.length >= JOBS, 12_000, 'all jobs routed')
    await plane.close(2_000)

    const [oldIds, newIds] = await Promise.all([listIds(fx.client, 'jobs:old'), streamIds(fx.client, 'jobs:new')])
    expect(oldIds.size + newIds.size).toBe(JOBS)
    expect([...oldIds.values(), ...newIds.values()].every((n) => n === 1)).toBe(true)
    expect(await fx.client.llen('jobs:in') + await fx.client.llen('jobs:in:processing')).toBe(0)

    const expectedNew = (i: number) => splitHash('emails', `tenant-${i % TENANTS}`) < thresholdFor(PERCENT_BP)
    for (let i = 0; i < JOBS; i++) expect(newIds.has(`j${i}`)).toBe(expectedNew(i))
    const share = (newIds.size / JOBS) * 100
    expect(share).toBeGreaterThan(28)
    expect(share).toBeLessThan(32)
    expect(outcomes.every((o) => o.status === 200 && !o.fellBack && o.reason === 'bucket')).toBe(true)
  }, 15_000)
})
