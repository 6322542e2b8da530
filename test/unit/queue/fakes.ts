import pino from 'pino'
import type { QueueConfig, QueueEndpointConfig } from '../../../src/config/types.js'
import type { TargetView } from '../../../src/core/types.js'
import { PublishError } from '../../../src/dataplane/queue/failure.js'
import { bodyId, contentId, makeJob, parseBody } from '../../../src/dataplane/queue/job.js'
import { Slots } from '../../../src/dataplane/queue/slots.js'
import type { AdapterFactory, Job, QueueSink, QueueSource, SourceOptions } from '../../../src/dataplane/queue/types.js'
import { createOutcomeBus, type Outcome } from '../../../src/observe/events.js'
import type { LiveSnapshot, TargetLive } from '../../../src/state/store.js'
import { refKey } from '../../../src/state/store.js'
import { buildViews } from '../../../src/state/views.js'

/**
 * In-memory source and sinks with the real contracts (bounded in-flight, ack after confirm), for
 * router logic tests.
 */

export const silent = pino({ level: 'silent' })

export class FakeSource implements QueueSource {
  readonly waiting: string[] = []
  readonly acked: Job[] = []
  maxInflight = 0
  #slots: Slots
  #deliver: ((job: Job) => Promise<void>) | undefined
  #closed = false

  constructor(opts: SourceOptions) {
    this.#slots = new Slots(opts.concurrency)
  }

  push(...bodies: string[]): void {
    this.waiting.push(...bodies)
    this.#pump()
  }

  start(deliver: (job: Job) => Promise<void>): void {
    this.#deliver = deliver
    this.#pump()
  }

  async ack(job: Job): Promise<void> {
    this.acked.push(job)
  }

  async backlog(): Promise<number> {
    return this.waiting.length + this.#slots.used
  }

  async close(timeoutMs: number): Promise<void> {
    this.#closed = true
    await this.#slots.whenIdle(timeoutMs)
  }

  get inflight(): number {
    return this.#slots.used
  }

  #pump(): void {
    while (this.#deliver && !this.#closed && this.#slots.free > 0 && this.waiting.length > 0) {
      const body = this.waiting.shift()!
      const data = parseBody(body)
      this.#slots.take(1)
      this.maxInflight = Math.max(this.maxInflight, this.#slots.used)
      void this.#deliver(makeJob(body, body, data, bodyId(data) ?? contentId(body))).finally(() => {
        this.#slots.release()
        this.#pump()
      })
    }
  }
}

export class FakeSink implements QueueSink {
  readonly published: Job[] = []
  /** Publishes to fail from now on (Infinity: always). */
  failures = 0
  failWith: () => Error = () => new PublishError('connect', 500, 'refused')
  delayMs = 0
  closed = false

  async publish(job: Job): Promise<void> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs))
    if (this.failures > 0) {
      this.failures--
      throw this.failWith()
    }
    this.published.push(job)
  }

  async close(): Promise<void> {
    this.closed = true
  }
}

/** An adapter factory handing out fakes, remembering every one it built. */
export class FakeAdapters implements AdapterFactory {
  readonly sources: FakeSource[] = []
  readonly sinks = new Map<string, FakeSink>()

  source(_cfg: QueueEndpointConfig, opts: SourceOptions): QueueSource {
    const s = new FakeSource(opts)
    this.sources.push(s)
    return s
  }

  sink(cfg: QueueEndpointConfig): QueueSink {
    const s = new FakeSink()
    this.sinks.set('key' in cfg ? cfg.key : cfg.url, s)
    return s
  }
}

export function queueConfig(parts: Partial<QueueConfig> = {}): QueueConfig {
  return {
    name: 'emails',
    source: { type: 'redis-list', url: 'redis://fake', key: 'in' },
    old: { type: 'redis-list', url: 'redis://fake', key: 'old' },
    new: { type: 'redis-list', url: 'redis://fake', key: 'new' },
    percentBp: 0,
    sticky: [{ kind: 'json', field: 'tenantId' }],
    groups: [],
    rollout: undefined,
    ...parts,
  }
}

/** The views app.ts would build, with a live percent per queue (basis points). */
export function queueViews(
  queues: readonly QueueConfig[], percentBp: Record<string, number> = {},
): ReadonlyMap<string, TargetView> {
  const targets = new Map<string, TargetLive>()
  for (const [name, bp] of Object.entries(percentBp)) {
    targets.set(refKey({ kind: 'queue', name }), { percentBp: bp, state: 'manual', step: -1, filePercentBp: 0, updatedAt: 0, version: 1 })
  }
  return buildViews([], queues, { targets, members: new Map() } satisfies LiveSnapshot).queues
}

export function collectOutcomes(): { bus: ReturnType<typeof createOutcomeBus>; outcomes: Outcome[] } {
  const bus = createOutcomeBus()
  const outcomes: Outcome[] = []
  bus.subscribe((o) => outcomes.push(o))
  return { bus, outcomes }
}

export async function until(cond: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}
