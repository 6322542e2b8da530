import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accumulate, assess, freshEvidence, observe } from '../../../src/core/analysis.js'
import { splitHash, thresholdFor } from '../../../src/core/bucket.js'
import { QueueDataPlane } from '../../../src/dataplane/queue/plane.js'
import { AnalysisWindows } from '../../../src/observe/analysis-windows.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../../helpers/redis-server.js'
import { collectOutcomes, jobBodies, listIds, preload, queueConfig, queueViews, silent, until } from './fixtures.js'

/**
 * The new side is an http sink that answers 500 to everything: every job decided for new ends on
 * old (nothing dropped), its Outcome says fellBack with an error, and the analysis window built from
 * those outcomes fails the new side, which is what makes the rollout controller roll back.
 */
const JOBS = 400
const server = new RedisServer()

describe.skipIf(!REDIS_SERVER)(`failing http sink as new${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  let redis: Redis
  let receiver: Server
  let url = ''
  const keys: string[] = []
  beforeAll(async () => {
    await server.start()
    redis = new Redis(server.url)
    receiver = createServer((req, res) => {
      keys.push(String(req.headers['idempotency-key']))
      req.resume().on('end', () => res.writeHead(500).end('{"error":"down"}'))
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/enqueue`
  })
  afterAll(async () => {
    redis.disconnect()
    await new Promise<void>((r) => receiver.close(() => r()))
    await server.close()
  })

  it('jobs end on old, outcomes say fellBack with an error, analysis fails the new side', async () => {
    const q = queueConfig({
      source: { type: 'redis-list', url: server.url, key: 'h:in' },
      old: { type: 'redis-list', url: server.url, key: 'h:old' },
      new: { type: 'http', url, timeoutMs: 2_000, retries: 1 },
      percentBp: 5_000,
    })
    await preload(redis, 'h:in', jobBodies(JOBS, 400))
    const { bus, outcomes } = collectOutcomes()
    const windows = new AnalysisWindows()
    bus.subscribe((o) => windows.record(o))
    const plane = new QueueDataPlane({ bus, logger: silent })
    await plane.setQueues([q], queueViews([q]))
    await until(() => outcomes.length >= JOBS, 10_000, 'every job routed')
    await plane.close(2_000)

    const oldIds = await listIds(redis, 'h:old')
    expect(oldIds.size).toBe(JOBS)
    expect(await redis.llen('h:in') + await redis.llen('h:in:processing')).toBe(0)
    const fellBack = outcomes.filter((o) => o.side === 'new')
    expect(fellBack.length).toBeGreaterThan(JOBS / 4)
    expect(fellBack.every((o) => o.fellBack && o.servedBy === 'old' && o.error === 'protocol' && o.status === 200)).toBe(true)
    // Each new-side job was offered to the endpoint twice (retries: 1), with its id as the key.
    expect(keys).toHaveLength(fellBack.length * 2)
    const decidedNew = Array.from({ length: JOBS }, (_, i) => i)
      .filter((i) => splitHash('emails', `tenant-${i}`) < thresholdFor(5_000)).map((i) => `j${i}`)
    expect(new Set(keys)).toEqual(new Set(decidedNew))

    const pair = windows.take('queue/emails')
    const policy = {
      windowMs: 60_000, minRequests: 50, maxErrorRate: 0.05, maxP99Ms: undefined,
      maxErrorRateVsOld: 2, maxP99VsOld: undefined, failureLimit: 1, alpha: 0.05,
    }
    const verdict = assess(policy, accumulate(policy, freshEvidence(policy, 0), observe(policy, pair.old, pair.new)), 1)
    expect(verdict.kind).toBe('fail')
    expect(verdict.failed).toContain('maxErrorRate')
  }, 15_000)
})
