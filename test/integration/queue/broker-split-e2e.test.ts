import { describe, expect, it } from 'vitest'
import { splitHash, thresholdFor } from '../../../src/core/bucket.js'
import { QueueDataPlane } from '../../../src/dataplane/queue/plane.js'
import type { QueueConfig } from '../../../src/config/types.js'
import { amqpConsume, amqpProduce, NatsAdmin, uniqueName, useRabbitVhost } from '../../helpers/brokers.js'
import { RedisServer, useRedis } from '../../helpers/redis-server.js'
import { collectOutcomes, countIds, jobBodies, preload, queueConfig, queueViews, silent, until } from './fixtures.js'

/**
 * The broker kinds end to end through the real registry, read back by real workers (an amqplib
 * consumer, a JetStream pull consumer): 10,000 jobs amqp → nats at 30 % sticky by tenant, and a few
 * cross combinations with the Redis kinds.
 */
const JOBS = 10_000
const TENANTS = 2_500
const PERCENT_BP = 3_000

const nats = new NatsAdmin()
const rabbit = useRabbitVhost(nats)
const { vhost } = rabbit

async function route(q: QueueConfig, jobs: number, timeoutMs: number): Promise<void> {
  const { bus, outcomes } = collectOutcomes()
  const plane = new QueueDataPlane({ bus, logger: silent })
  await plane.setQueues([q], queueViews([q]))
  await until(() => outcomes.length >= jobs, timeoutMs, `${jobs} jobs routed`)
  await plane.close(2_000)
  expect(outcomes.every((o) => o.status === 200 && !o.fellBack)).toBe(true)
}

describe('amqp → nats split end to end', () => {
  it('10,000 jobs at 30 %: every id exactly once, on its tenant\'s side, none lost', async () => {
    const queue = uniqueName('jobs-in')
    const oldSide = nats.names('old')
    const newSide = nats.names('new')
    await nats.createStream(oldSide.stream, oldSide.subject)
    await nats.createStream(newSide.stream, newSide.subject)
    await amqpProduce(rabbit.amqp, queue, jobBodies(JOBS, TENANTS))
    const q = queueConfig({
      name: 'emails',
      source: { type: 'amqp', url: vhost.url, queue, prefetch: 64 },
      old: { type: 'nats', url: nats.url, subject: oldSide.subject, stream: undefined, durable: undefined },
      new: { type: 'nats', url: nats.url, subject: newSide.subject, stream: undefined, durable: undefined },
      percentBp: PERCENT_BP,
    })
    await route(q, JOBS, 60_000)

    const [oldJobs, newJobs] = await Promise.all([
      nats.consume(oldSide.stream, JOBS), nats.consume(newSide.stream, JOBS),
    ])
    const oldIds = countIds(oldJobs.map((j) => j.id))
    const newIds = countIds(newJobs.map((j) => j.id))
    expect(oldIds.size + newIds.size).toBe(JOBS)
    expect([...oldIds.values(), ...newIds.values()].every((n) => n === 1)).toBe(true)
    const expectedNew = (i: number) => splitHash('emails', `tenant-${i % TENANTS}`) < thresholdFor(PERCENT_BP)
    for (let i = 0; i < JOBS; i++) expect(newIds.has(`j${i}`)).toBe(expectedNew(i))
    const share = (newIds.size / JOBS) * 100
    expect(share).toBeGreaterThan(28)
    expect(share).toBeLessThan(32)
    // The body travels unchanged and the id is the body's id.
    expect(JSON.parse(newJobs[0]!.body)).toMatchObject({ id: newJobs[0]!.id })
    expect((await rabbit.amqp.createChannel().then((ch) => ch.checkQueue(queue))).messageCount).toBe(0)
  }, 90_000)
})

describe('cross combinations with the other kinds', () => {
  const redis = new RedisServer()
  const fx = useRedis(redis)

  it('redis-list → amqp (old) and nats (new): real workers of each kind read what sluice routed', async () => {
    const queue = uniqueName('list-old')
    const side = nats.names('list-new')
    await nats.createStream(side.stream, side.subject)
    await preload(fx.client, 'cross:in', jobBodies(400, 100, 'l'))
    const q = queueConfig({
      name: 'cross-a',
      source: { type: 'redis-list', url: redis.url, key: 'cross:in' },
      old: { type: 'amqp', url: vhost.url, queue, prefetch: undefined },
      new: { type: 'nats', url: nats.url, subject: side.subject, stream: undefined, durable: undefined },
      percentBp: 5_000,
    })
    await route(q, 400, 20_000)
    const [oldJobs, newJobs] = await Promise.all([
      amqpConsume(rabbit.amqp, queue, 400, 1_000), nats.consume(side.stream, 400, 1_000),
    ])
    expect(oldJobs.length).toBeGreaterThan(0)
    expect(newJobs.length).toBeGreaterThan(0)
    expect(new Set([...oldJobs, ...newJobs].map((j) => j.id))).toEqual(new Set(Array.from({ length: 400 }, (_, i) => `l${i}`)))
    expect(oldJobs.length + newJobs.length).toBe(400)
  }, 40_000)

  it('nats → amqp (old) and redis-stream (new); amqp → redis-list and nats', async () => {
    const src = nats.names('cross-src')
    const queue = uniqueName('nats-old')
    const { jetstream } = await import('@nats-io/jetstream')
    await nats.createStream(src.stream, src.subject)
    const js = jetstream(nats.nc)
    for (const body of jobBodies(300, 60, 'n')) await js.publish(src.subject, body)
    const q1 = queueConfig({
      name: 'cross-b',
      source: { type: 'nats', url: nats.url, stream: src.stream, subject: src.subject, durable: 'cross-b' },
      old: { type: 'amqp', url: vhost.url, queue, prefetch: undefined },
      new: { type: 'redis-stream', url: redis.url, key: 'cross:new', group: undefined },
      percentBp: 5_000,
    })
    await route(q1, 300, 20_000)
    const oldJobs = await amqpConsume(rabbit.amqp, queue, 300, 1_000)
    const streamEntries = await fx.client.xlen('cross:new')
    expect(oldJobs.length + streamEntries).toBe(300)
    expect(oldJobs.length).toBeGreaterThan(0)
    expect(streamEntries).toBeGreaterThan(0)

    const queue2 = uniqueName('amqp-src')
    const side = nats.names('amqp-new')
    await nats.createStream(side.stream, side.subject)
    await amqpProduce(rabbit.amqp, queue2, jobBodies(300, 60, 'a'), true)
    const q2 = queueConfig({
      name: 'cross-c',
      source: { type: 'amqp', url: vhost.url, queue: queue2, prefetch: 16 },
      old: { type: 'redis-list', url: redis.url, key: 'cross:old' },
      new: { type: 'nats', url: nats.url, subject: side.subject, stream: undefined, durable: undefined },
      percentBp: 5_000,
    })
    await route(q2, 300, 20_000)
    const newJobs = await nats.consume(side.stream, 300, 1_000)
    expect((await fx.client.llen('cross:old')) + newJobs.length).toBe(300)
    // The producer's AMQP messageId is the job id, all the way to the JetStream Nats-Msg-Id.
    expect(newJobs.every((j) => /^a\d+$/.test(j.id))).toBe(true)
  }, 40_000)
})
