import { describe, expect, it } from 'vitest'
import { JobRouter } from '../../../src/dataplane/queue/job-router.js'
import { PublishError } from '../../../src/dataplane/queue/failure.js'
import { collectOutcomes, FakeSink, queueConfig, queueViews } from './fakes.js'

function setup(percentBp: number) {
  const q = queueConfig()
  const view = queueViews([q], { emails: percentBp }).get('emails')!
  const sinks = { old: new FakeSink(), new: new FakeSink() }
  const { bus, outcomes } = collectOutcomes()
  return { router: new JobRouter({ queue: q, view: () => view, bus, sinks }), sinks, outcomes }
}

describe('JobRouter', () => {
  it('routes an object by json:tenantId and keeps the body id', async () => {
    const { router, sinks, outcomes } = setup(10_000)
    await expect(router.add({ id: 'o-1', tenantId: 't' })).resolves.toEqual({ id: 'o-1', backend: 'new' })
    expect(sinks.new.published[0]).toMatchObject({ id: 'o-1', body: '{"id":"o-1","tenantId":"t"}' })
    expect(outcomes[0]).toMatchObject({ kind: 'queue', side: 'new', servedBy: 'new', status: 200, fellBack: false })
  })

  it('takes JSON text and an explicit id; assigns a random id otherwise', async () => {
    const { router, sinks } = setup(0)
    expect(await router.add('{"tenantId":"t"}', { id: 'given' })).toEqual({ id: 'given', backend: 'old' })
    const r = await router.add({ tenantId: 't' })
    expect(r.id).toMatch(/^[0-9a-f]{32}$/)
    expect(sinks.old.published.map((j) => j.body)).toEqual(['{"tenantId":"t"}', '{"tenantId":"t"}'])
  })

  it('falls back to old when new refuses, and rejects when old refuses too', async () => {
    const { router, sinks, outcomes } = setup(10_000)
    sinks.new.failures = Infinity
    sinks.new.failWith = () => new PublishError(undefined, 503, 'busy')
    expect(await router.add({ id: 'a' })).toEqual({ id: 'a', backend: 'old' })
    expect(outcomes.at(-1)).toMatchObject({ side: 'new', servedBy: 'old', fellBack: true, error: 'protocol', status: 200 })
    sinks.old.failures = Infinity
    await expect(router.add({ id: 'b' })).rejects.toBeInstanceOf(PublishError)
    expect(outcomes.at(-1)).toMatchObject({ side: 'new', servedBy: 'old', fellBack: true, status: 500 })
  })

  it('reportOutcome publishes the worker result for the side that ran the job', () => {
    const { router, outcomes } = setup(0)
    router.reportOutcome({ backend: 'new', ok: false, jobId: 'x', durationMs: 12 })
    router.reportOutcome({ backend: 'old', ok: true })
    expect(outcomes).toMatchObject([
      { kind: 'queue', name: 'emails', side: 'new', servedBy: 'new', status: 500, durationMs: 12, origin: 'worker' },
      { side: 'old', servedBy: 'old', status: 200, origin: 'worker' },
    ])
    // No duration reported: not a latency sample (NaN is skipped by the analysis window).
    expect(outcomes[1]!.durationMs).toBeNaN()
  })
})
