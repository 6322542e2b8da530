import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registry } from '../../../src/dataplane/queue/registry.js'
import { bodyId, parseBody } from '../../../src/dataplane/queue/job.js'
import { bullmqJobId } from '../../../src/dataplane/queue/sinks/bullmq.js'
import type { QueueEndpointConfig } from '../../../src/config/types.js'
import { queueSinkContract, queueSourceContract, type SinkHarness, type SourceHarness } from '../../contract/queue-adapter.contract.js'
import { NO_REDIS_REASON, REDIS_SERVER, RedisServer } from '../../helpers/redis-server.js'
import { silent } from '../../unit/queue/fakes.js'

/** Every source and sink kind through the one contract suite, against a private redis-server. */

const UNREACHABLE = 'redis://127.0.0.1:1'
const server = new RedisServer()
let redis: Redis
let seq = 0
const fresh = (kind: string): string => `contract:${kind}:${++seq}`

describe.skipIf(!REDIS_SERVER)(`queue adapters${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  beforeAll(async () => {
    await server.start()
    redis = new Redis(server.url)
  })
  afterAll(async () => {
    redis.disconnect()
    await server.close()
  })

  queueSourceContract('redis-list', async () => {
    const key = fresh('list-src')
    return {
      make: (concurrency) => registry.source({ type: 'redis-list', url: server.url, key }, { concurrency, logger: silent }),
      produce: async (jobs) => { await redis.lpush(key, ...jobs.map((j) => j.body)) },
    } satisfies SourceHarness
  })

  queueSourceContract('redis-stream', async () => {
    const key = fresh('stream-src')
    return {
      make: (concurrency) => registry.source({ type: 'redis-stream', url: server.url, key, group: undefined }, { concurrency, logger: silent, minIdleMs: 200 }),
      produce: async (jobs) => {
        for (const j of jobs) await redis.xadd(key, '*', ...(j.id ? ['id', j.id] : []), 'body', j.body)
      },
    } satisfies SourceHarness
  })

  queueSinkContract('redis-list', async () => {
    const key = fresh('list-sink')
    return {
      make: () => registry.sink({ type: 'redis-list', url: server.url, key }, { logger: silent }),
      unreachable: () => registry.sink({ type: 'redis-list', url: UNREACHABLE, key }, { logger: silent }),
      // LPUSH'ed: the oldest element is at the tail, where workers (BRPOP) take from.
      readBack: async () => (await redis.lrange(key, 0, -1)).reverse()
        .map((body) => ({ id: bodyId(parseBody(body))!, body })),
      sinkId: (id) => id,
      dedupes: false,
    } satisfies SinkHarness
  })

  queueSinkContract('redis-stream', async () => {
    const key = fresh('stream-sink')
    return {
      make: () => registry.sink({ type: 'redis-stream', url: server.url, key, group: undefined }, { logger: silent }),
      unreachable: () => registry.sink({ type: 'redis-stream', url: UNREACHABLE, key, group: undefined }, { logger: silent }),
      readBack: async () => (await redis.xrange(key, '-', '+')).map(([, f]) => ({ id: field(f, 'id'), body: field(f, 'body') })),
      sinkId: (id) => id,
      dedupes: true,
    } satisfies SinkHarness
  })

  queueSinkContract('bullmq', async () => {
    const cfg = (url: string): QueueEndpointConfig => ({ type: 'bullmq', url, queue: fresh('bull').replaceAll(':', '-'), prefix: 'bull', jobName: 'job' })
    const c = cfg(server.url)
    return {
      make: () => registry.sink(c, { logger: silent }),
      unreachable: () => registry.sink(cfg(UNREACHABLE), { logger: silent }),
      readBack: async () => {
        const q = new Queue((c as { queue: string }).queue, { connection: { host: '127.0.0.1', port: server.port }, prefix: 'bull' })
        const jobs = await q.getJobs(['wait'], 0, -1, true)
        await q.close()
        return jobs.map((j) => ({ id: j.id!, body: JSON.stringify(j.data) }))
      },
      sinkId: bullmqJobId,
      dedupes: true,
    } satisfies SinkHarness
  })
})

// The http sink needs no Redis: it runs against a real node:http receiver.
describe('queue adapters: http sink', () => {
  const received: { key: string; type: string; body: string }[] = []
  let receiver: Server
  let url = ''
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8').on('data', (d: string) => { body += d }).on('end', () => {
        received.push({ key: String(req.headers['idempotency-key']), type: String(req.headers['content-type']), body })
        res.writeHead(202).end()
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/jobs?src=sluice`
  })
  afterAll(() => new Promise<void>((r) => receiver.close(() => r())))

  queueSinkContract('http', async () => {
    received.length = 0
    return {
      make: () => registry.sink({ type: 'http', url, timeoutMs: 2_000, retries: 1 }, { logger: silent }),
      unreachable: () => registry.sink({ type: 'http', url: 'http://127.0.0.1:1/', timeoutMs: 500, retries: 1 }, { logger: silent }),
      readBack: async () => received.map((r) => ({ id: r.key, body: r.body })),
      sinkId: (id) => id,
      dedupes: false,
    } satisfies SinkHarness
  })

  it('sends content-type application/json to the configured path', () => {
    expect(received.every((r) => r.type === 'application/json')).toBe(true)
  })
})

function field(flat: string[], name: string): string {
  const i = flat.indexOf(name)
  expect(i % 2).toBe(0)
  return flat[i + 1]!
}
