import { connect as amqpConnect } from 'amqplib'
import { jetstream } from '@nats-io/jetstream'
import { createLogger, type Logger } from '../../../src/observe/log.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QueueDataPlane } from '../../../src/dataplane/queue/plane.js'
import { registry } from '../../../src/dataplane/queue/registry.js'
import type { AdapterFactory, Job, QueueSink } from '../../../src/dataplane/queue/types.js'
import { amqpConsume, amqpProduce, NatsAdmin, PrivateNatsServer, uniqueName, useRabbitVhost } from '../../helpers/brokers.js'
import { waitFor } from '../../helpers/wait-for.js'
import { collectOutcomes, countIds, jobBodies, queueConfig, queueViews, slowSinks, silent } from './fixtures.js'

/**
 * Broker trouble mid-flow: the broker closes every connection (RabbitMQ, in a private vhost), the
 * broker dies and comes back (a private nats-server, SIGKILLed and restarted on its port), sinks
 * refuse jobs for a while (requeued, never dropped), a stream that does not fit (a configuration
 * error, logged once). Nothing is lost; each connection logs one line per state change.
 */

interface LogLine { level: string; msg: string; role?: string; code?: string }

function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => { lines.push(JSON.parse(s) as LogLine) } } })
  return { logger, lines }
}

const ids = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

/** Real adapters; each sink refuses its first `failures` publishes, and every delivery is seen. */
function refusingSinks(failures: number): AdapterFactory & { deliveries: Job[] } {
  let left = failures
  const deliveries: Job[] = []
  return {
    deliveries,
    source: (cfg, opts) => {
      const source = registry.source(cfg, opts)
      const start = source.start.bind(source)
      source.start = (deliver) => start((job) => { deliveries.push(job); return deliver(job) })
      return source
    },
    sink: (cfg, opts): QueueSink => {
      const sink = registry.sink(cfg, opts)
      return {
        publish: async (job) => {
          if (left-- > 0) throw new Error('refused for the test')
          return sink.publish(job)
        },
        close: () => sink.close(),
      }
    },
  }
}

describe('amqp: the broker closes every connection mid-flow', () => {
  const rabbit = useRabbitVhost()
  const { vhost } = rabbit

  it('reconnects by itself with one log line per state change, and loses nothing', async () => {
    const JOBS = 2_000
    const [input, oldQ, newQ] = [uniqueName('in'), uniqueName('old'), uniqueName('new')]
    await amqpProduce(rabbit.amqp, input, jobBodies(JOBS, 200, 'r'))
    const q = queueConfig({
      name: 'restart',
      source: { type: 'amqp', url: vhost.url, queue: input, prefetch: 32 },
      old: { type: 'amqp', url: vhost.url, queue: oldQ, prefetch: undefined },
      new: { type: 'amqp', url: vhost.url, queue: newQ, prefetch: undefined },
      percentBp: 5_000,
    })
    const { logger, lines } = capturingLogger()
    const { bus, outcomes } = collectOutcomes()
    const plane = new QueueDataPlane({ bus, logger, adapters: slowSinks(100) })
    await plane.setQueues([q], queueViews([q]))
    await waitFor(() => outcomes.length >= JOBS / 4, { timeoutMs: 30_000, message: "a quarter of the jobs routed" })
    await rabbit.amqp.close() // ours too: the broker closes every connection of the vhost
    await vhost.closeConnections()
    expect(outcomes.length, 'the close must land mid-flow').toBeLessThan(JOBS)
    rabbit.amqp = await waitFor(() => amqpConnect(vhost.url), { message: 'a new admin connection' })
    await waitFor(async () => {
      const ch = await rabbit.amqp.createChannel()
      const { messageCount } = await ch.checkQueue(input)
      await ch.close()
      return messageCount === 0 && outcomes.filter((o) => o.status === 200).length >= JOBS
    }, { timeoutMs: 60_000, message: 'the source to drain' })
    await plane.close(2_000)

    const got = [
      ...await amqpConsume(rabbit.amqp, oldQ, JOBS, 1_000), ...await amqpConsume(rabbit.amqp, newQ, JOBS, 1_000),
    ]
    const seen = countIds(got.map((g) => g.id))
    for (const id of ids(JOBS, 'r')) expect(seen.get(id) ?? 0, id).toBeGreaterThanOrEqual(1)
    // Redelivered after the close: at most what was in flight (prefetch) per connection loss.
    expect(got.length - seen.size).toBeLessThanOrEqual(32 * 3)

    const lost = lines.filter((l) => l.msg === 'amqp connection lost; reconnecting')
    expect(lost.length).toBeGreaterThanOrEqual(1)
    // One per connection lost (source, two sinks; a reconnect the closing broker catches too counts
    // again), never one per retry; and each loss is followed by exactly one "up".
    expect(lost.length).toBeLessThanOrEqual(6)
    expect(lines.filter((l) => l.msg === 'amqp connection up').length).toBe(3 + lost.length)
  }, 120_000)

  it('a job no sink takes is nacked back to the queue after its backoff and routed later, never dropped', async () => {
    const [input, out] = [uniqueName('in'), uniqueName('out')]
    await amqpProduce(rabbit.amqp, input, jobBodies(20, 5, 'f'))
    const q = queueConfig({
      name: 'refusals',
      source: { type: 'amqp', url: vhost.url, queue: input, prefetch: 4 },
      old: { type: 'amqp', url: vhost.url, queue: out, prefetch: undefined },
      new: { type: 'amqp', url: vhost.url, queue: out, prefetch: undefined },
    })
    const adapters = refusingSinks(10)
    const { bus, outcomes } = collectOutcomes()
    const plane = new QueueDataPlane({ bus, logger: silent, adapters })
    await plane.setQueues([q], queueViews([q]))
    await waitFor(() => outcomes.filter((o) => o.status === 200).length >= 20, { timeoutMs: 30_000, message: 'every job routed' })
    await plane.close(2_000)
    const got = await amqpConsume(rabbit.amqp, out, 20, 1_000)
    expect(new Set(got.map((g) => g.id))).toEqual(new Set(ids(20, 'f')))
    // The refused jobs came back from the broker (redelivered), not from a retry in memory.
    type Delivered = { message: { fields: { redelivered: boolean } } }
    const redelivered = adapters.deliveries.filter((j) => (j.raw as Delivered).message.fields.redelivered)
    expect(redelivered.length).toBeGreaterThanOrEqual(1)
  }, 60_000)
})

describe('nats: the broker dies and comes back mid-flow', () => {
  const server = new PrivateNatsServer()
  let admin: NatsAdmin
  beforeAll(async () => {
    await server.start()
    admin = await new NatsAdmin(server.url).open()
  })
  afterAll(async () => {
    await admin.close().catch(() => {})
    await server.close()
  })

  it('reconnects by itself with one log line per state change, and loses nothing', async () => {
    const JOBS = 2_000
    const src = admin.names('in')
    const oldSide = admin.names('old')
    const newSide = admin.names('new')
    for (const s of [src, oldSide, newSide]) await admin.createStream(s.stream, s.subject)
    const js = jetstream(admin.nc)
    await Promise.all(jobBodies(JOBS, 200, 'k').map((b) => js.publish(src.subject, b)))
    const q = queueConfig({
      name: 'restart',
      source: { type: 'nats', url: server.url, stream: src.stream, subject: src.subject, durable: undefined },
      old: { type: 'nats', url: server.url, subject: oldSide.subject, stream: undefined, durable: undefined },
      new: { type: 'nats', url: server.url, subject: newSide.subject, stream: undefined, durable: undefined },
      percentBp: 5_000,
    })
    const { logger, lines } = capturingLogger()
    const { bus, outcomes } = collectOutcomes()
    const plane = new QueueDataPlane({ bus, logger, adapters: slowSinks(100) })
    await plane.setQueues([q], queueViews([q]))
    await waitFor(() => outcomes.length >= JOBS / 4, { timeoutMs: 30_000, message: "a quarter of the jobs routed" })
    await server.stop()
    expect(outcomes.length, 'the restart must land mid-flow').toBeLessThan(JOBS)
    await server.start()
    await waitFor(async () => {
      const info = await admin.jsm.consumers.info(src.stream, 'sluice')
      return info.num_pending + info.num_ack_pending === 0
    }, { timeoutMs: 90_000, intervalMs: 200, message: 'the source consumer to drain' })
    await plane.close(2_000)

    const got = [
      ...await admin.consume(oldSide.stream, JOBS, 1_000),
      ...await admin.consume(newSide.stream, JOBS, 1_000),
    ]
    const seen = countIds(got.map((g) => g.id))
    for (const id of ids(JOBS, 'k')) expect(seen.get(id) ?? 0, id).toBeGreaterThanOrEqual(1)
    const lost = lines.filter((l) => l.msg === 'nats connection lost; reconnecting')
    expect(lost.length).toBeGreaterThanOrEqual(1)
    expect(lost.length).toBeLessThanOrEqual(3) // one per connection (source, two sinks), not one per retry
    expect(lines.filter((l) => l.msg === 'nats connection back').length).toBe(lost.length)
  }, 150_000)
})

describe('nats: an account that may not create the stream', () => {
  // A user who may use JetStream but not create streams or consumers.
  const server = new PrivateNatsServer(`
jetstream: enabled
accounts: {
  APP: {
    jetstream: enabled
    users: [{ user: app, password: secret, permissions: { publish: { deny: ["$JS.API.STREAM.CREATE.>", "$JS.API.CONSUMER.CREATE.>", "$JS.API.CONSUMER.DURABLE.CREATE.>"] } } }]
  }
}
`)
  beforeAll(async () => { await server.start() })
  afterAll(() => server.close())

  // The URL carries the credentials (the client takes them as options: sluice moves them there).
  it('is a configuration error naming the stream, logged once, and the source keeps retrying', async () => {
    const { logger, lines } = capturingLogger()
    const url = `nats://app:secret@127.0.0.1:${server.port}`
    const source = registry.source({ type: 'nats', url, stream: 'DENIED', subject: 'denied.in', durable: undefined }, { concurrency: 4, logger })
    source.start(async () => {})
    const errors = await waitFor(() => {
      const found = lines.filter((l) => l.level === 'error')
      return found.length > 0 && found
    }, { timeoutMs: 20_000, message: 'the configuration error' })
    expect(errors[0]).toMatchObject({ code: 'SLUICE_ERR_CONFIG_INVALID' })
    expect(JSON.stringify(errors[0])).toContain("cannot create stream 'DENIED' for subject 'denied.in'")
    await source.close(100)
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1)
  }, 40_000)
})

describe('nats: refusals and configuration errors', () => {
  const nats = new NatsAdmin()
  beforeAll(async () => { await nats.open() })
  afterAll(() => nats.close())

  it('a job no sink takes is nak\'ed with a delay and delivered again, never dropped', async () => {
    const src = nats.names('in')
    const out = nats.names('out')
    await nats.createStream(src.stream, src.subject)
    await nats.createStream(out.stream, out.subject)
    const js = jetstream(nats.nc)
    for (const b of jobBodies(20, 5, 'g')) await js.publish(src.subject, b)
    const sink = { type: 'nats', url: nats.url, subject: out.subject, stream: undefined, durable: undefined } as const
    const q = queueConfig({
      name: 'refusals',
      source: { type: 'nats', url: nats.url, stream: src.stream, subject: src.subject, durable: undefined },
      old: sink,
      new: sink,
    })
    const adapters = refusingSinks(10)
    const { bus, outcomes } = collectOutcomes()
    const plane = new QueueDataPlane({ bus, logger: silent, adapters })
    await plane.setQueues([q], queueViews([q]))
    await waitFor(() => outcomes.filter((o) => o.status === 200).length >= 20, { timeoutMs: 30_000, message: 'every job routed' })
    await plane.close(2_000)
    const got = await nats.consume(out.stream, 20, 1_000)
    expect(new Set(got.map((g) => g.id))).toEqual(new Set(ids(20, 'g')))
    const again = adapters.deliveries
      .filter((j) => (j.raw as { info: { deliveryCount: number } }).info.deliveryCount > 1)
    expect(again.length).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it('a stream that does not capture the subject is a configuration error, logged once', async () => {
    const { stream, subject } = nats.names('misfit')
    await nats.createStream(stream, `${subject}.other`)
    const { logger, lines } = capturingLogger()
    const source = registry.source({ type: 'nats', url: nats.url, stream, subject, durable: undefined }, { concurrency: 4, logger })
    source.start(async () => {})
    const errors = await waitFor(() => {
      const found = lines.filter((l) => l.level === 'error')
      return found.length > 0 && found
    }, { message: 'the configuration error' })
    expect(errors[0]).toMatchObject({ code: 'SLUICE_ERR_CONFIG_INVALID', msg: 'nats source cannot start: fix the configuration or the account' })
    expect(JSON.stringify(errors[0])).toContain(`does not capture subject '${subject}'`)
    await new Promise((r) => setTimeout(r, 500)) // several retries: still one line
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(1)
    await source.close(100)
  }, 20_000)
})
