import { afterEach, describe, expect, it } from 'vitest'
import { isSluiceError } from '../../../src/util/errors.js'
import { QueueDataPlane } from '../../../src/dataplane/queue/plane.js'
import { registry } from '../../../src/dataplane/queue/registry.js'
import { seededRandom } from '../../../src/util/random.js'
import { collectOutcomes, FakeAdapters, queueConfig, queueViews, silent, until } from './fakes.js'

const planes: QueueDataPlane[] = []
afterEach(async () => { await Promise.all(planes.splice(0).map((p) => p.close(1_000))) })

function setup(concurrency = 4) {
  const adapters = new FakeAdapters()
  const { bus, outcomes } = collectOutcomes()
  const plane = new QueueDataPlane({ bus, logger: silent, adapters, concurrency, random: seededRandom(1) })
  planes.push(plane)
  return { adapters, outcomes, plane }
}

const jobs = (n: number, tenants = 50) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `j${i}`, tenantId: `t${i % tenants}` }))

describe('QueueDataPlane (fake adapters)', () => {
  it('routes each job by the sticky key, acks after the sink confirmed, one Outcome per job', async () => {
    const { adapters, outcomes, plane } = setup()
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q], { emails: 5_000 }))
    const source = adapters.sources[0]!
    source.push(...jobs(400))
    await until(() => source.acked.length === 400)
    const oldSink = adapters.sinks.get('old')!
    const newSink = adapters.sinks.get('new')!
    expect(oldSink.published.length + newSink.published.length).toBe(400)
    const sideOf = new Map<string, string>()
    for (const [side, sink] of [['old', oldSink], ['new', newSink]] as const) {
      for (const j of sink.published) {
        const t = (j.data as { tenantId: string }).tenantId
        expect(sideOf.get(t) ?? side).toBe(side)
        sideOf.set(t, side)
      }
    }
    expect(outcomes).toHaveLength(400)
    expect(outcomes.every((o) => o.kind === 'queue' && o.name === 'emails' && o.status === 200 && o.reason === 'bucket')).toBe(true)
    expect(source.maxInflight).toBeLessThanOrEqual(4)
  })

  it('falls back to old when new fails: fellBack with the error, counted, never dropped', async () => {
    const { adapters, outcomes, plane } = setup()
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q], { emails: 10_000 }))
    adapters.sinks.get('new')!.failures = Infinity
    const source = adapters.sources[0]!
    source.push(...jobs(20))
    await until(() => source.acked.length === 20)
    expect(adapters.sinks.get('old')!.published).toHaveLength(20)
    expect(outcomes).toHaveLength(20)
    expect(outcomes.every((o) => o.side === 'new' && o.servedBy === 'old' && o.fellBack && o.error === 'connect' && o.status === 200)).toBe(true)
  })

  it('never acks a job no sink took: it keeps its slot and is published again after a backoff', async () => {
    const { adapters, outcomes, plane } = setup(2)
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q], { emails: 0 }))
    const oldSink = adapters.sinks.get('old')!
    oldSink.failures = 3
    const source = adapters.sources[0]!
    source.push(...jobs(2))
    await until(() => outcomes.length >= 2)
    expect(source.acked).toHaveLength(0)
    await until(() => source.acked.length === 2, 5_000, 'acks after the retries')
    expect(oldSink.published).toHaveLength(2)
    const failed = outcomes.filter((o) => o.status !== 200)
    expect(failed).toHaveLength(3)
    expect(failed.every((o) => o.error === 'connect' && !o.fellBack)).toBe(true)
  })

  it('groups pin jobs like requests (own json: key), and a non-JSON body is still routed', async () => {
    const { adapters, outcomes, plane } = setup()
    const q = queueConfig({
      groups: [{ name: 'beta', backend: 'new', key: { kind: 'json', field: 'email' }, users: ['a@x.io'], usersFile: undefined }],
    })
    await plane.setQueues([q], queueViews([q], { emails: 0 }))
    const source = adapters.sources[0]!
    source.push('{"id":"g1","tenantId":"t1","email":"a@x.io"}', '{"id":"g2","tenantId":"t1","email":"b@x.io"}', 'plain text')
    await until(() => source.acked.length === 3)
    expect(adapters.sinks.get('new')!.published.map((j) => j.id)).toEqual(['g1'])
    expect(adapters.sinks.get('old')!.published.map((j) => j.body)).toEqual(['{"id":"g2","tenantId":"t1","email":"b@x.io"}', 'plain text'])
    expect(outcomes.map((o) => o.reason)).toEqual(['group', 'bucket', 'random'])
  })

  it('holds back when the sink is slow: in-flight never exceeds the bound', async () => {
    const { adapters, plane } = setup(3)
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q]))
    adapters.sinks.get('old')!.delayMs = 5
    const source = adapters.sources[0]!
    source.push(...jobs(30))
    await until(() => source.acked.length === 30)
    expect(source.maxInflight).toBe(3)
  })

  it('a views-only change swaps the view without restarting the router', async () => {
    const { adapters, plane } = setup()
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q], { emails: 0 }))
    const source = adapters.sources[0]!
    source.push(...jobs(10))
    await until(() => source.acked.length === 10)
    await plane.setQueues([q], queueViews([q], { emails: 10_000 }))
    source.push(...jobs(10).map((j) => j.replace('"j', '"k')))
    await until(() => source.acked.length === 20)
    expect(adapters.sources).toHaveLength(1)
    expect(adapters.sinks.get('new')!.published).toHaveLength(10)
  })

  it('an endpoint change replaces the router; a removed queue is closed', async () => {
    const { adapters, plane } = setup()
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q]))
    const q2 = queueConfig({ new: { type: 'redis-stream', url: 'redis://fake', key: 'new2', group: undefined } })
    await plane.setQueues([q2], queueViews([q2]))
    expect(adapters.sources).toHaveLength(2)
    expect(adapters.sinks.get('new')!.closed).toBe(true)
    await plane.setQueues([], new Map())
    expect(adapters.sinks.get('new2')!.closed).toBe(true)
    expect(plane.queues()).toEqual([])
  })

  it('on close, a job waiting for a retry is given back unacknowledged', async () => {
    const { adapters, plane } = setup()
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q]))
    adapters.sinks.get('old')!.failures = Infinity
    const source = adapters.sources[0]!
    source.push(...jobs(3))
    await until(() => source.inflight === 3)
    await plane.close(1_000)
    expect(source.acked).toHaveLength(0)
    expect(source.inflight).toBe(0)
  })

  it('reports the backlog of each source', async () => {
    const adapters = new FakeAdapters()
    const seen: [string, number][] = []
    const plane = new QueueDataPlane({
      bus: collectOutcomes().bus, logger: silent, adapters, backlogIntervalMs: 10,
      onBacklog: (q, n) => seen.push([q, n]),
    })
    planes.push(plane)
    const q = queueConfig()
    await plane.setQueues([q], queueViews([q]))
    await until(() => seen.length > 0)
    expect(seen[0]).toEqual(['emails', 0])
  })
})

describe('registry', () => {
  it('an unsupported source type is a config error, not a fallback', () => {
    const bad = { type: 'http', url: 'http://x', timeoutMs: 1, retries: 0 } as const
    let err: unknown
    try { registry.source(bad, { concurrency: 1, logger: silent }) } catch (e) { err = e }
    expect(isSluiceError(err) && err.code).toBe('SLUICE_ERR_CONFIG_INVALID')
    expect(() => registry.sink({ type: 'sqs' } as never, { logger: silent })).toThrow(/sink type 'sqs' is not supported/)
  })
})
