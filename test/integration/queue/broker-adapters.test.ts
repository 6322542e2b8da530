import { headers as natsHeaders } from '@nats-io/transport-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PublishError } from '../../../src/dataplane/queue/failure.js'
import { makeJob } from '../../../src/dataplane/queue/job.js'
import type { Job } from '../../../src/dataplane/queue/types.js'
import { waitFor } from '../../helpers/wait-for.js'
import { registry } from '../../../src/dataplane/queue/registry.js'
import { queueSinkContract, queueSourceContract, type SinkHarness, type SourceHarness } from '../../contract/queue-adapter.contract.js'
import { NatsAdmin, uniqueName, useRabbitVhost } from '../../helpers/brokers.js'
import { silent } from '../../unit/queue/fakes.js'

/**
 * The amqp and nats sources and sinks through the shared contract suites, against the machine's
 * RabbitMQ (a private vhost, deleted afterwards) and NATS JetStream (unique streams, deleted afterwards).
 */

describe('queue adapters: amqp (RabbitMQ)', () => {
  const rabbit = useRabbitVhost()
  const { vhost } = rabbit

  queueSourceContract('amqp', async () => {
    const queue = uniqueName('src')
    const ch = await rabbit.amqp.createChannel()
    await ch.assertQueue(queue, { durable: true })
    return {
      make: (concurrency) => registry.source({ type: 'amqp', url: vhost.url, queue, prefetch: undefined }, { concurrency, logger: silent }),
      produce: async (jobs) => {
        for (const j of jobs) {
          ch.sendToQueue(queue, Buffer.from(j.body), { persistent: true, ...(j.id ? { messageId: j.id } : {}) })
        }
        await ch.checkQueue(queue) // a round trip: the messages are in
      },
    } satisfies SourceHarness
  })

  queueSinkContract('amqp', async () => {
    const queue = uniqueName('sink')
    return {
      make: () => registry.sink({ type: 'amqp', url: vhost.url, queue, prefetch: undefined }, { logger: silent }),
      unreachable: () => registry.sink({ type: 'amqp', url: 'amqp://guest:guest@127.0.0.1:1', queue, prefetch: undefined }, { logger: silent }),
      readBack: async () => {
        const ch = await rabbit.amqp.createChannel()
        const out: { id: string; body: string }[] = []
        for (let m = await ch.get(queue, { noAck: true }); m !== false; m = await ch.get(queue, { noAck: true })) {
          out.push({ id: String(m.properties.messageId), body: m.content.toString('utf8') })
        }
        await ch.close()
        return out
      },
      sinkId: (id) => id,
      dedupes: false,
    } satisfies SinkHarness
  })
})

describe('queue adapters: amqp on a queue declared with other arguments', () => {
  const rabbit = useRabbitVhost()
  const { vhost } = rabbit

  it('uses an existing quorum queue as it is, as source and as sink', async () => {
    const queue = uniqueName('quorum')
    const ch = await rabbit.amqp.createChannel()
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } })
    const sink = registry.sink({ type: 'amqp', url: vhost.url, queue, prefetch: undefined }, { logger: silent })
    await sink.publish(makeJob('{"id":"q-1"}', undefined, { id: 'q-1' }, 'q-1'))
    const source = registry.source({ type: 'amqp', url: vhost.url, queue, prefetch: undefined }, { concurrency: 4, logger: silent })
    const got: Job[] = []
    source.start(async (job) => { got.push(job); await source.ack(job) })
    await waitFor(() => got.length === 1, { message: 'the job from the quorum queue' })
    expect(got[0]!.id).toBe('q-1')
    await source.close(1_000)
    await sink.close()
  })
})

describe('queue adapters: nats (JetStream)', () => {
  const nats = new NatsAdmin()
  beforeAll(async () => { await nats.open() })
  afterAll(() => nats.close())

  queueSourceContract('nats', async () => {
    // The source creates the stream and its consumer itself.
    const { stream, subject } = nats.names('src')
    const js = nats.nc
    return {
      make: (concurrency) => registry.source({ type: 'nats', url: nats.url, stream, subject, durable: undefined }, { concurrency, logger: silent }),
      produce: async (jobs) => {
        await nats.jsm.streams.info(stream).catch(() => nats.createStream(stream, subject))
        const { jetstream } = await import('@nats-io/jetstream')
        for (const j of jobs) {
          const h = natsHeaders()
          if (j.id) h.set('Nats-Msg-Id', j.id)
          await jetstream(js).publish(subject, j.body, { headers: h })
        }
      },
    } satisfies SourceHarness
  })

  it('a subject no stream captures fails the publish with a message saying so', async () => {
    const { subject } = nats.names('nostream')
    const sink = registry.sink({ type: 'nats', url: nats.url, subject, stream: undefined, durable: undefined }, { logger: silent })
    const err = await sink.publish(makeJob('{}', undefined, {}, 'x')).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(PublishError)
    expect((err as PublishError).message).toContain(`no JetStream stream captures subject '${subject}'`)
    await sink.close()
  })

  queueSinkContract('nats', async () => {
    const { stream, subject } = nats.names('sink')
    await nats.createStream(stream, subject)
    return {
      make: () => registry.sink({ type: 'nats', url: nats.url, subject, stream: undefined, durable: undefined }, { logger: silent }),
      unreachable: () => registry.sink({ type: 'nats', url: 'nats://127.0.0.1:1', subject, stream: undefined, durable: undefined }, { logger: silent }),
      readBack: () => nats.read(stream),
      sinkId: (id) => id,
      dedupes: true,
    } satisfies SinkHarness
  })
})
