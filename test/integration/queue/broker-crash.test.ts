import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { amqpConsume, amqpProduce, NatsAdmin, uniqueName, useRabbitVhost } from '../../helpers/brokers.js'
import { waitFor } from '../../helpers/wait-for.js'
import {
  countIds, jobBodies, queueConfig, exited, ROUTER_CHILD_DIST as DIST, startRouterChild as startChild,
} from './fixtures.js'

/**
 * The router in a child process on RabbitMQ queues, SIGKILLed mid-flow and started again: the
 * broker puts the dead connection's unacknowledged jobs back, so every id arrives at least once and
 * no more arrive twice than the in-flight bound (the prefetch). The sinks are AMQP queues, which keep
 * duplicates, so they show.
 */
const JOBS = 3_000
const CONCURRENCY = 32
/** Each publish is confirmed this long after the sink took it: the kill lands with jobs published, unacknowledged. */
const DELAY_MS = 20

describe('amqp router crash', () => {
  const nats = new NatsAdmin()
  const rabbit = useRabbitVhost(nats)
  const { vhost } = rabbit

  async function depth(queue: string): Promise<number> {
    const ch = await rabbit.amqp.createChannel()
    const { messageCount } = await ch.assertQueue(queue, { durable: true })
    await ch.close()
    return messageCount
  }

  it('SIGKILL mid-flow, restart: every id at least once, duplicates within the in-flight bound', async () => {
    expect(existsSync(DIST), 'dist/ must be built first (npm test runs the build)').toBe(true)
    const [input, oldQ, newQ] = [uniqueName('in'), uniqueName('old'), uniqueName('new')]
    await amqpProduce(rabbit.amqp, input, jobBodies(JOBS, 500))
    const queue = queueConfig({
      source: { type: 'amqp', url: vhost.url, queue: input, prefetch: undefined },
      old: { type: 'amqp', url: vhost.url, queue: oldQ, prefetch: undefined },
      new: { type: 'amqp', url: vhost.url, queue: newQ, prefetch: undefined },
      percentBp: 3_000,
    })
    const env = { SLUICE_QUEUE_CHILD: JSON.stringify({ queue, concurrency: CONCURRENCY, delayMs: DELAY_MS }) }
    const arrived = async () => (await depth(oldQ)) + (await depth(newQ))

    const first = await startChild(env)
    await waitFor(async () => (await arrived()) >= JOBS / 3, { timeoutMs: 30_000, intervalMs: 20, message: 'a third of the jobs' })
    first.kill('SIGKILL')
    await exited(first)
    expect(await arrived()).toBeLessThan(JOBS) // mid-flow, or the restart proves nothing
    expect(await depth(input)).toBeGreaterThan(0)

    const second = await startChild(env)
    await waitFor(async () => (await depth(input)) === 0 && (await arrived()) >= JOBS, { timeoutMs: 60_000, intervalMs: 50, message: 'the source to drain' })
    second.kill('SIGTERM')
    await exited(second)

    const oldJobs = await amqpConsume(rabbit.amqp, oldQ, JOBS * 2, 1_000)
    const newJobs = await amqpConsume(rabbit.amqp, newQ, JOBS * 2, 1_000)
    const all = countIds([...oldJobs, ...newJobs].map((j) => j.id))
    for (let i = 0; i < JOBS; i++) expect(all.get(`j${i}`) ?? 0, `j${i}`).toBeGreaterThanOrEqual(1)
    const duplicates = [...all.values()].reduce((sum, n) => sum + n - 1, 0)
    expect(duplicates).toBeLessThanOrEqual(CONCURRENCY)
    // A job and its duplicate went to the same side: the decision is deterministic per tenant.
    const oldIds = new Set(oldJobs.map((j) => j.id))
    for (const j of newJobs) expect(oldIds.has(j.id)).toBe(false)
  }, 120_000)

  it('amqp → nats, SIGKILL mid-flow, restart: every id exactly once in the streams (Nats-Msg-Id drops the redeliveries)', async () => {
    const input = uniqueName('in')
    const [oldSide, newSide] = [nats.names('crash-old'), nats.names('crash-new')]
    await nats.createStream(oldSide.stream, oldSide.subject)
    await nats.createStream(newSide.stream, newSide.subject)
    await amqpProduce(rabbit.amqp, input, jobBodies(JOBS, 500))
    const sink = (subject: string) => ({ type: 'nats', url: nats.url, subject, stream: undefined, durable: undefined }) as const
    const queue = queueConfig({
      source: { type: 'amqp', url: vhost.url, queue: input, prefetch: undefined },
      old: sink(oldSide.subject),
      new: sink(newSide.subject),
      percentBp: 3_000,
    })
    const env = { SLUICE_QUEUE_CHILD: JSON.stringify({ queue, concurrency: CONCURRENCY, delayMs: DELAY_MS }) }
    const stored = async () =>
      (await nats.jsm.streams.info(oldSide.stream)).state.messages
      + (await nats.jsm.streams.info(newSide.stream)).state.messages

    const first = await startChild(env)
    await waitFor(async () => (await stored()) >= JOBS / 3, { timeoutMs: 30_000, intervalMs: 20, message: 'a third of the jobs' })
    first.kill('SIGKILL')
    await exited(first)
    expect(await stored()).toBeLessThan(JOBS)

    const second = await startChild(env)
    await waitFor(async () => (await depth(input)) === 0 && (await stored()) >= JOBS, { timeoutMs: 60_000, intervalMs: 50, message: 'the source to drain' })
    second.kill('SIGTERM')
    await exited(second)

    const got = [...await nats.consume(oldSide.stream, JOBS, 1_000), ...await nats.consume(newSide.stream, JOBS, 1_000)]
    const all = countIds(got.map((j) => j.id))
    expect(got).toHaveLength(JOBS)
    for (let i = 0; i < JOBS; i++) expect(all.get(`j${i}`), `j${i}`).toBe(1)
  }, 120_000)
})
