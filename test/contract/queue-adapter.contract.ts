import { describe, expect, it } from 'vitest'
import { PublishError } from '../../src/dataplane/queue/failure.js'
import { makeJob, parseBody } from '../../src/dataplane/queue/job.js'
import type { Job, QueueSink, QueueSource } from '../../src/dataplane/queue/types.js'

/**
 * One suite for every QueueSource kind and one for every QueueSink kind (docs/DESIGN.md, "House style"): each
 * kind runs it through a harness that builds the adapter against a real broker and can put jobs in
 * (sources) or read them back the way that kind's workers would (sinks).
 */

export interface SourceHarness {
  /** A fresh source on the harness's queue (a "router process"). */
  make(concurrency: number): QueueSource
  /** Adds jobs as a producer would; `id` is a stream field where the kind has fields. */
  produce(jobs: readonly { body: string; id?: string }[]): Promise<void>
}

export interface SinkHarness {
  make(): QueueSink
  /** A sink whose broker is unreachable. */
  unreachable(): QueueSink
  /** What a worker of this kind sees: the body and the duplicate-filter id, in arrival order. */
  readBack(): Promise<{ id: string; body: string }[]>
  /** The id the sink's duplicate filter carries for a job id (BullMQ sanitises). */
  sinkId(id: string): string
  /** True when publishing an id again adds nothing (BullMQ jobId, stream marker). */
  readonly dedupes: boolean
}

const TIMEOUT_MS = 5_000

/** Collects deliveries; `hold` keeps them unresolved (in flight) until released. */
function collector(source: QueueSource, opts: { ack: boolean; hold?: boolean }) {
  const jobs: Job[] = []
  const releases: (() => void)[] = []
  source.start(async (job) => {
    jobs.push(job)
    if (opts.hold) await new Promise<void>((r) => releases.push(r))
    if (opts.ack) await source.ack(job)
  })
  return { jobs, release: () => releases.splice(0).forEach((r) => r()) }
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

export function queueSourceContract(kind: string, harness: () => Promise<SourceHarness>): void {
  describe(`QueueSource contract: ${kind}`, () => {
    it('delivers every job once, with its id, and an ack removes it from the backlog', async () => {
      const h = await harness()
      await h.produce([{ body: '{"id":"b-1","n":1}' }, { body: '{"id":"b-2","n":2}' }, { body: '{"id":"b-3","n":3}' }])
      const source = h.make(8)
      const c = collector(source, { ack: true })
      await until(() => c.jobs.length === 3, 'three deliveries')
      expect(c.jobs.map((j) => j.id).sort()).toEqual(['b-1', 'b-2', 'b-3'])
      expect(c.jobs.map((j) => j.data)).toContainEqual({ id: 'b-2', n: 2 })
      await until(async () => (await source.backlog()) === 0, 'an empty backlog')
      await source.close(1_000)
    })

    it('keeps unacknowledged jobs and delivers them again, same ids, to the next router', async () => {
      const h = await harness()
      await h.produce([{ body: '{"n":1}' }, { body: 'not json' }, { body: '{"id":"keep"}' }])
      const first = h.make(8)
      const a = collector(first, { ack: false })
      await until(() => a.jobs.length === 3, 'first deliveries')
      expect(await first.backlog()).toBe(3)
      await first.close(100)
      const second = h.make(8)
      const b = collector(second, { ack: true })
      await until(() => b.jobs.length === 3, 're-deliveries')
      expect(b.jobs.map((j) => j.id).sort()).toEqual(a.jobs.map((j) => j.id).sort())
      expect(b.jobs.find((j) => j.body === 'not json')?.data).toBeUndefined()
      await until(async () => (await second.backlog()) === 0, 'an empty backlog')
      await second.close(1_000)
    })

    it('takes no more than `concurrency` jobs while deliveries are unresolved', async () => {
      const h = await harness()
      await h.produce(Array.from({ length: 10 }, (_, i) => ({ body: JSON.stringify({ id: `c${i}` }) })))
      const source = h.make(3)
      const c = collector(source, { ack: true, hold: true })
      await until(() => c.jobs.length === 3, 'three deliveries')
      await new Promise((r) => setTimeout(r, 200))
      expect(c.jobs).toHaveLength(3)
      for (let i = 0; i < 4; i++) {
        c.release()
        await until(() => c.jobs.length >= Math.min(10, 3 * (i + 2)), `batch ${i + 2}`)
      }
      c.release()
      await until(async () => (await source.backlog()) === 0, 'an empty backlog')
      expect(new Set(c.jobs.map((j) => j.id)).size).toBe(10)
      await source.close(1_000)
    })
  })
}

const job = (id: string, body: string): Job => makeJob(body, undefined, parseBody(body), id)

export function queueSinkContract(kind: string, harness: () => Promise<SinkHarness>): void {
  describe(`QueueSink contract: ${kind}`, () => {
    it('delivers the body unchanged and the id as the duplicate filter, in order', async () => {
      const h = await harness()
      const sink = h.make()
      const ids = ['a-1', 'b:2', '42']
      for (const id of ids) await sink.publish(job(id, JSON.stringify({ id, v: id.length })))
      const got = await h.readBack()
      expect(got.map((g) => g.id)).toEqual(ids.map((id) => h.sinkId(id)))
      expect(got.map((g) => parseBody(g.body))).toEqual(ids.map((id) => ({ id, v: id.length })))
      await sink.close()
    })

    it('a re-published id adds no second job where the kind dedupes, else carries the same id', async () => {
      const h = await harness()
      const sink = h.make()
      const j = job('dup-1', '{"id":"dup-1","x":1}')
      await Promise.all([sink.publish(j), sink.publish(j)])
      await sink.publish(j)
      const got = await h.readBack()
      // Three publishes: one job where the kind dedupes, else exactly three copies (no more: a
      // publish is one write, never retried by the sink on success; no fewer: nothing is dropped).
      expect(got).toHaveLength(h.dedupes ? 1 : 3)
      expect(new Set(got.map((g) => g.id))).toEqual(new Set([h.sinkId('dup-1')]))
      await sink.close()
    })

    it('rejects with a PublishError (a transport reason) when the broker is unreachable', async () => {
      const h = await harness()
      const sink = h.unreachable()
      const err = await sink.publish(job('x', '{}')).then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(PublishError)
      expect((err as PublishError).reason).toBe('connect')
      await sink.close()
    }, 15_000)
  })
}
