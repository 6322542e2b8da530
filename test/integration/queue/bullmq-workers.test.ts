import { Worker, type Job as BullJob } from 'bullmq'
import { describe, expect, it } from 'vitest'
import { QueueDataPlane } from '../../../src/dataplane/queue/plane.js'
import { bullmqJobId } from '../../../src/dataplane/queue/sinks/bullmq.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer, useRedis } from '../../helpers/redis-server.js'
import { collectOutcomes, preload, queueConfig, queueViews, silent, until } from './fixtures.js'

/**
 * Real BullMQ Workers consume what the bullmq sink published: each job's data is the body, its id
 * the sanitised sluice id (ids with ':' and integer-like ids included), and each job runs once.
 */
const JOBS = 300
const server = new RedisServer()

describe.skipIf(!REDIS_SERVER)(`bullmq sink with real workers${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  const fx = useRedis(server)

  it('workers receive every job with data = body and id = sanitised id', async () => {
    const ids = Array.from({ length: JOBS }, (_, i) => (i % 3 === 0 ? `order:${i}` : i % 3 === 1 ? String(i) : `o-${i}`))
    const bodies = ids.map((id, i) => JSON.stringify({ id, tenantId: `t${i % 50}`, payload: { n: i } }))
    await preload(fx.client, 'b:in', bodies)
    const q = queueConfig({
      source: { type: 'redis-list', url: server.url, key: 'b:in' },
      old: { type: 'redis-list', url: server.url, key: 'b:old' },
      new: { type: 'bullmq', url: server.url, queue: 'emails-v2', prefix: 'bull', jobName: 'send' },
      percentBp: 10_000,
    })
    const seen: BullJob[] = []
    const connection = { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null }
    const workers = [1, 2].map(() => new Worker('emails-v2', async (job) => { seen.push(job) }, { connection, prefix: 'bull', concurrency: 16 }))
    const { bus, outcomes } = collectOutcomes()
    const plane = new QueueDataPlane({ bus, logger: silent })
    await plane.setQueues([q], queueViews([q]))
    await until(() => seen.length >= JOBS, 12_000, 'the workers to run every job')
    await plane.close(2_000)
    await Promise.all(workers.map((w) => w.close()))

    expect(outcomes.every((o) => o.servedBy === 'new' && o.status === 200)).toBe(true)
    const byId = new Map(seen.map((j) => [j.id, j]))
    expect(byId.size).toBe(JOBS)
    for (let i = 0; i < JOBS; i++) {
      const job = byId.get(bullmqJobId(ids[i]!))
      expect(job?.data).toEqual(JSON.parse(bodies[i]!))
      expect(job?.name).toBe('send')
    }
    expect(await fx.client.llen('b:old')).toBe(0)
  }, 15_000)
})
