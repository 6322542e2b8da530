import { jetstream } from '@nats-io/jetstream'
import { afterAll, describe, expect, it } from 'vitest'
import { amqpProduce, NatsAdmin, uniqueName, useRabbitVhost } from '../helpers/brokers.js'
import { SluiceProcess, testConfig } from '../helpers/sluice-process.js'
import { waitFor } from '../helpers/wait-for.js'

/**
 * `sluice start` with RabbitMQ and NATS queues: jobs flow amqp → nats, and `sluice_queue_backlog`
 * comes from each source's own count (AMQP messageCount plus unacknowledged, JetStream num_pending
 * plus num_ack_pending) while their sinks are unreachable (jobs are requeued, never dropped).
 */
describe('broker queues through sluice start', () => {
  const nats = new NatsAdmin()
  const rabbit = useRabbitVhost(nats)
  const { vhost } = rabbit
  let sluice: SluiceProcess | undefined
  afterAll(async () => {
    await sluice?.stop()
  })

  it('routes amqp → nats, and exports each source\'s backlog while its sinks are down', async () => {
    const [flowIn, flowOld, stuckIn] = [uniqueName('flow-in'), uniqueName('flow-old'), uniqueName('stuck-in')]
    const flowNew = nats.names('flow-new')
    const stuck = nats.names('stuck-in')
    await nats.createStream(flowNew.stream, flowNew.subject)
    await nats.createStream(stuck.stream, stuck.subject)
    await amqpProduce(rabbit.amqp, flowIn, Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: `f${i}`, tenantId: `t${i}` })))
    await amqpProduce(rabbit.amqp, stuckIn, Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `s${i}` })))
    const js = jetstream(nats.nc)
    for (let i = 0; i < 40; i++) await js.publish(stuck.subject, JSON.stringify({ id: `n${i}` }))
    const down = { amqp: 'amqp://guest:guest@127.0.0.1:1', nats: 'nats://127.0.0.1:1' }

    sluice = await new SluiceProcess(testConfig('', `queues:
  - name: flow
    source: { type: amqp, url: "${vhost.url}", queue: ${flowIn}, prefetch: 16 }
    old: { type: amqp, url: "${vhost.url}", queue: ${flowOld} }
    new: { type: nats, url: "${nats.url}", subject: ${flowNew.subject} }
    percent: 100
  - name: amqp-stuck
    source: { type: amqp, url: "${vhost.url}", queue: ${stuckIn} }
    old: { type: amqp, url: "${down.amqp}", queue: x }
    new: { type: amqp, url: "${down.amqp}", queue: x }
  - name: nats-stuck
    source: { type: nats, url: "${nats.url}", stream: ${stuck.stream}, subject: ${stuck.subject}, durable: e2e }
    old: { type: nats, url: "${down.nats}", subject: x }
    new: { type: nats, url: "${down.nats}", subject: x }
`)).start()

    await waitFor(async () => (await nats.jsm.streams.info(flowNew.stream)).state.messages === 100, { timeoutMs: 20_000, message: '100 jobs on the new side' })
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${sluice!.admin}/metrics`)).text()
      return /sluice_queue_backlog\{queue="amqp-stuck"\} 50\b/.test(text) && /sluice_queue_backlog\{queue="nats-stuck"\} 40\b/.test(text) && text
    }, { timeoutMs: 30_000, intervalMs: 500, message: 'the backlog gauges (every 5 s)' })
    expect(metrics).toMatch(/sluice_jobs_total\{queue="flow",backend="new",outcome="routed"\} 100\b/)
    expect(metrics).toMatch(/sluice_queue_backlog\{queue="flow"\} 0\b/)
    expect(sluice.logs.some((l) => l.msg === 'amqp connection up')).toBe(true)
  }, 60_000)
})
