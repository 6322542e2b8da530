import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { QueueDataPlane } from '../../../src/dataplane/queue/plane.js'
import type { AdapterFactory, Job, QueueSource, SourceOptions } from '../../../src/dataplane/queue/types.js'
import { collectOutcomes, FakeSink, FakeSource, queueConfig, queueViews, silent, until } from './fakes.js'

/** A fake source that can hand jobs back to its broker (like AMQP's nack-requeue and JetStream's nak). */
class RequeueingSource extends FakeSource implements QueueSource {
  readonly requeued: { id: string; delayMs: number }[] = []

  constructor(opts: SourceOptions) {
    super(opts)
  }

  async requeue(job: Job, delayMs: number): Promise<void> {
    this.requeued.push({ id: job.id, delayMs })
    setTimeout(() => this.push(job.body), delayMs).unref() // back in the queue after the delay, delivered again
  }
}

function setup(sink: FakeSink, logger: pino.Logger = silent) {
  const sources: RequeueingSource[] = []
  const adapters: AdapterFactory = {
    source: (_cfg, opts) => { const s = new RequeueingSource(opts); sources.push(s); return s },
    sink: () => sink,
  }
  const { bus, outcomes } = collectOutcomes()
  const plane = new QueueDataPlane({ bus, logger, adapters, concurrency: 2 })
  return { sources, outcomes, plane }
}

describe('QueueRouter with a source that can requeue', () => {
  it('hands a job no sink took back to the source with a growing backoff, then acks it once a sink took it', async () => {
    const sink = new FakeSink()
    sink.failures = 3
    const { sources, plane } = setup(sink)
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q]))
    const source = sources[0]!
    source.push(JSON.stringify({ id: 'only', tenantId: 't' }))
    await until(() => source.acked.length === 1, 5_000, 'the ack')
    expect(source.requeued.map((r) => r.id)).toEqual(['only', 'only', 'only'])
    const [a, b, c] = source.requeued.map((r) => r.delayMs) as [number, number, number]
    expect(b).toBeGreaterThan(a) // the attempt count survives the round trip through the broker
    expect(c).toBeGreaterThan(b)
    expect(sink.published.map((j) => j.id)).toEqual(['only'])
    await plane.close(1_000)
  })

  it('an outage failing every job logs one warning, not one per job', async () => {
    const sink = new FakeSink()
    sink.failures = Infinity
    const lines: { msg: string }[] = []
    const logger = pino({ level: 'warn' }, { write: (l: string) => { lines.push(JSON.parse(l) as { msg: string }) } })
    const { sources, outcomes, plane } = setup(sink, logger)
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q]))
    sources[0]!.push(...Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `o${i}`, tenantId: `t${i}` })))
    await until(() => outcomes.length >= 50, 5_000, 'every job tried')
    expect(lines.filter((l) => l.msg === 'no sink took the job; retrying with backoff')).toHaveLength(1)
    await plane.close(1_000)
  })
})
