import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QueueDataPlane } from '../../../src/dataplane/queue/router.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../../helpers/redis-server.js'
import { collectOutcomes, jobBodies, listIds, preload, queueConfig, queueViews, silent, slowSinks, streamIds, until } from './fixtures.js'

/**
 * Redis killed (SIGKILL) mid-flow and started again on the same port, with an append-only file
 * fsynced on every write so that what Redis confirmed survives: the router rides out the outage
 * (failed publishes are retried, never acknowledged; taking resumes after the reconnect) and no
 * job is lost.
 */
const JOBS = 2_000
const OUTAGE_MS = 700
const server = new RedisServer({ persist: true })

describe.skipIf(!REDIS_SERVER)(`queue router across a Redis restart${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  let redis: Redis
  beforeAll(async () => {
    await server.start()
    redis = new Redis(server.url, { maxRetriesPerRequest: null })
    redis.on('error', () => {}) // the outage below is deliberate
  })
  afterAll(async () => {
    redis.disconnect()
    await server.close()
  })

  it('no job is lost when Redis restarts mid-flow', async () => {
    const q = queueConfig({
      source: { type: 'redis-list', url: server.url, key: 'rs:in' },
      old: { type: 'redis-list', url: server.url, key: 'rs:old' },
      new: { type: 'redis-stream', url: server.url, key: 'rs:new', group: undefined },
      percentBp: 5_000,
    })
    await preload(redis, 'rs:in', jobBodies(JOBS, 400))
    const { bus, outcomes } = collectOutcomes()
    const plane = new QueueDataPlane({ bus, logger: silent, adapters: slowSinks(5) })
    await plane.setQueues([q], queueViews([q]))
    await until(() => outcomes.length >= JOBS / 4, 8_000, 'a quarter of the jobs')
    await server.stop()
    const routedBeforeOutage = outcomes.filter((o) => o.error === undefined).length
    await new Promise((r) => setTimeout(r, OUTAGE_MS))
    await server.restart()

    const seen = async () => {
      const [o, n] = await Promise.all([listIds(redis, 'rs:old'), streamIds(redis, 'rs:new')])
      return new Set([...o.keys(), ...n.keys()])
    }
    const deadline = Date.now() + 10_000
    while ((await seen()).size < JOBS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    await plane.close(2_000)

    const ids = await seen()
    const missing = Array.from({ length: JOBS }, (_, i) => `j${i}`).filter((id) => !ids.has(id))
    expect(missing).toEqual([])
    expect(await redis.llen('rs:in') + await redis.llen('rs:in:processing')).toBe(0)
    // The outage hit mid-flow: jobs were still waiting when Redis went down. (Whether a publish or
    // the source's next take is what fails first depends on timing; either way nothing is lost.)
    expect(routedBeforeOutage).toBeLessThan(JOBS)
  }, 15_000)
})
