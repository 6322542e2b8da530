import type { Counter, Gauge, Histogram } from 'prom-client'
import { SIDES, type Side } from '../../config/types.js'
import type { Outcome } from '../events.js'
import { JOB_BUCKETS_S, JOB_OUTCOMES, type SideTotals, type TargetTotals } from './definitions.js'

type CounterChild = Counter.Internal
type HistogramChild = Histogram.Internal<string>
type QueueSeries = Readonly<Record<Side, {
  readonly routed: CounterChild
  readonly failed: CounterChild
  readonly duration: HistogramChild
}>>

/** The prom-client metrics the queue series live in (definitions.ts makes them). */
export interface QueueMetrics {
  readonly jobs: Counter<'queue' | 'backend' | 'outcome'>
  readonly jobDuration: Histogram<'queue' | 'backend'>
  readonly backlog: Gauge<'queue'>
}

/**
 * Every configured queue's series: sluice_jobs_total, sluice_job_route_duration_seconds and
 * sluice_queue_backlog, as prom-client children resolved once per queue (queues are few), present at
 * 0 from `ensure` on and removed with their queue.
 */
export class QueueSeriesStore {
  readonly #queues = new Map<string, QueueSeries>()

  constructor(private readonly m: QueueMetrics) {}

  has(queue: string): boolean {
    return this.#queues.has(queue)
  }

  /** Creates the queue's series at 0 unless it has them; true when it created them. */
  ensure(queue: string): boolean {
    if (this.#queues.has(queue)) return false
    this.m.backlog.set({ queue }, 0)
    const side = (backend: Side): QueueSeries[Side] => {
      const children = childrenOf(this.m.jobs, JOB_OUTCOMES, (outcome) => ({ queue, backend, outcome }))
      this.m.jobDuration.zero({ queue, backend })
      return { ...children, duration: this.m.jobDuration.labels({ queue, backend }) }
    }
    this.#queues.set(queue, { old: side('old'), new: side('new') })
    return true
  }

  /** Removes the series of every queue not in `keep`; returns their names. */
  retain(keep: ReadonlySet<string>): string[] {
    const removed: string[] = []
    for (const queue of this.#queues.keys()) {
      if (keep.has(queue)) continue
      for (const backend of SIDES) {
        this.m.jobDuration.remove({ queue, backend })
        for (const outcome of JOB_OUTCOMES) this.m.jobs.remove({ queue, backend, outcome })
      }
      this.m.backlog.remove({ queue })
      this.#queues.delete(queue)
      removed.push(queue)
    }
    return removed
  }

  /** One job's routing outcome; queues not configured (removed while in flight) are dropped. */
  job(o: Outcome, durationS: number): void {
    const q = this.#queues.get(o.name)
    if (q === undefined) return
    // A fallback is two facts: the decided side failed the job, the other side routed it.
    if (o.fellBack) {
      q[o.side].failed.inc()
      q[o.servedBy].routed.inc()
    } else {
      // "routed" once a sink accepted the job; otherwise it went back to the source for a retry.
      ;(o.error === undefined && o.status < 300 ? q[o.servedBy].routed : q[o.servedBy].failed).inc()
    }
    q[o.servedBy].duration.observe(durationS)
  }

  backlog(queue: string, jobs: number): void {
    this.m.backlog.set({ queue }, jobs)
  }

  /**
   * Every queue's cumulative figures per side, read from the metrics now: a reader that answers a
   * queue's, or `previous` itself when nothing changed since it was read.
   */
  async totals(): Promise<(queue: string, previous: TargetTotals | undefined) => TargetTotals | undefined> {
    const queues = new Map<string, TargetTotals>()
    const sideOf = (name: unknown, backend: unknown): SideTotals | undefined => {
      if (typeof name !== 'string' || !this.#queues.has(name) || (backend !== 'old' && backend !== 'new')) return undefined
      let pair = queues.get(name)
      if (pair === undefined) {
        pair = { old: emptyTotals(JOB_BUCKETS_S), new: emptyTotals(JOB_BUCKETS_S) }
        queues.set(name, pair)
      }
      return pair[backend]
    }
    for (const v of (await this.m.jobs.get()).values) {
      const side = sideOf(v.labels.queue, v.labels.backend)
      if (side === undefined) continue
      side.requests += v.value
      if (v.labels.outcome === 'failed') side.errors += v.value
    }
    addBuckets(await this.m.jobDuration.get(), JOB_BUCKETS_S, (l) => sideOf(l.queue, l.backend))
    return (name, previous) => {
      const queue = queues.get(name)
      return queue !== undefined && previous !== undefined && sameTotals(queue, previous) ? previous : queue
    }
  }
}

function sameTotals(a: TargetTotals, b: TargetTotals): boolean {
  const same = (x: SideTotals, y: SideTotals) => x.requests === y.requests && x.errors === y.errors &&
    x.bounds === y.bounds && x.buckets.length === y.buckets.length && x.buckets.every((n, i) => n === y.buckets[i])
  return same(a.old, b.old) && same(a.new, b.new)
}

function emptyTotals(bounds: readonly number[]): SideTotals {
  return { requests: 0, errors: 0, buckets: new Array<number>(bounds.length + 1).fill(0), bounds }
}

type Labels = Partial<Record<string, string | number>>

/** Adds a histogram's `_bucket` values (cumulative per `le`) into the sides `sideOf` finds. */
function addBuckets(
  metric: { values: ReadonlyArray<{ value: number; labels: Labels; metricName?: string }> },
  bounds: readonly number[], sideOf: (labels: Labels) => SideTotals | undefined,
): void {
  for (const v of metric.values) {
    if (v.metricName === undefined || !v.metricName.endsWith('_bucket')) continue
    const le = v.labels.le
    const i = le === '+Inf' ? bounds.length : bounds.indexOf(Number(le))
    if (i === -1) continue
    const side = sideOf(v.labels)
    if (side !== undefined && side.bounds === bounds) side.buckets[i] = v.value
  }
}

/** Resolves one child per enum value and creates its series at 0. */
export function childrenOf<K extends string, L extends string>(
  counter: Counter<L>, keys: readonly K[], labelsFor: (k: K) => Partial<Record<L, string>>,
): Record<K, CounterChild> {
  const out = {} as Record<K, CounterChild>
  for (const k of keys) {
    const child = counter.labels(labelsFor(k))
    child.inc(0)
    out[k] = child
  }
  return out
}
