import type { Side } from '../../config/types.js'
import type { Outcome } from '../../observe/events.js'
import { ACCEPTED_STATUS } from './publish.js'
import { REFUSED_STATUS } from './failure.js'

/** A worker's result for one job, as reported to analysis. */
export interface WorkerOutcome {
  readonly backend: Side
  readonly ok: boolean
  readonly jobId?: string
  readonly durationMs?: number | undefined
}

/**
 * A worker's result as the Outcome of the side that ran the job (origin 'worker'): analysis input
 * that compares the two queue systems by what their workers achieve, not a routing event.
 * Built here once for the producer API (JobRouter) and the admin API (POST /api/queues/NAME/outcomes).
 */
export function buildWorkerOutcome(queue: string, o: WorkerOutcome): Outcome {
  return {
    kind: 'queue',
    name: queue,
    side: o.backend,
    // The decision is the producer's past; 'bucket' keeps the label set closed.
    reason: 'bucket',
    servedBy: o.backend,
    status: o.ok ? ACCEPTED_STATUS : REFUSED_STATUS,
    error: undefined,
    fellBack: false,
    // No duration: counted, but not as a latency sample (observe/analysis-windows.ts skips NaN).
    durationMs: o.durationMs ?? Number.NaN,
    origin: 'worker',
  }
}
