import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QueueDataPlane } from '../../../src/dataplane/queue/plane.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../../helpers/redis-server.js'
import { sleep, waitFor } from '../../helpers/wait-for.js'
import { collectOutcomes, jobBodies, listIds, preload, queueConfig, queueViews, silent, slowSinks, streamIds } from './fixtures.js'

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
    const sinks = slowSinks(5)
    const plane = new QueueDataPlane({ bus, logger: silent, adapters: sinks })
    await plane.setQueues([q], queueViews([q]))
    // Kill when a quarter of the jobs are through AND publishes are in flight (between two takes
    // there may be none). Nothing runs between the poll that sees it and the SIGKILL below, so
    // these publishes, taken from the source and not yet confirmed, meet a dead Redis.
    await waitFor(() => outcomes.length >= JOBS / 4 && sinks.inFlight > 0, { timeoutMs: 8_000, intervalMs: 1, message: 'a quarter of the jobs, some in flight' })
    const inFlightAtKill = sinks.inFlight
    const routedBeforeOutage = outcomes.filter((o) => o.error === undefined).length
    await server.stop()
    await sleep(OUTAGE_MS) // the outage lasts this long; nothing is asserted during it
    await server.restart()

    const seen = async () => {
      const [o, n] = await Promise.all([listIds(redis, 'rs:old'), streamIds(redis, 'rs:new')])
      return new Set([...o.keys(), ...n.keys()])
    }
    await waitFor(async () => (await seen()).size >= JOBS, { timeoutMs: 20_000, intervalMs: 50, message: 'every job in a sink' }).catch(() => undefined)
    await plane.close(2_000)

    const ids = await seen()
    const missing = Array.from({ length: JOBS }, (_, i) => `j${i}`).filter((id) => !ids.has(id))
    expect(missing).toEqual([])
    expect(await redis.llen('rs:in') + await redis.llen('rs:in:processing')).toBe(0)
    // The outage hit mid-flow: jobs were in flight (taken, not yet confirmed) at the kill, and more
    // were still waiting in the source.
    expect(inFlightAtKill).toBeGreaterThan(0)
    expect(routedBeforeOutage).toBeLessThan(JOBS - inFlightAtKill)
  }, 40_000)
})
