import type { Side } from '../../config/types.js'
import { decide } from '../../core/decide.js'
import type { Decision, TargetView } from '../../core/types.js'
import type { OutcomeBus, UpstreamErrorReason } from '../../observe/events.js'
import type { Random } from '../../util/random.js'
import { toPublishError, type PublishError } from './failure.js'
import { jobKeyReader, stickyKey } from './job.js'
import type { Job, SinkPair } from './types.js'

/** HTTP-style status of a job a sink confirmed. */
export const ACCEPTED_STATUS = 200

/** What routing one job needs: shared by the queue router and the in-process JobRouter. */
export interface RouteContext {
  readonly name: string
  readonly sinks: SinkPair
  readonly bus: OutcomeBus
  readonly random: Random
}

export type RouteResult =
  | { readonly ok: true; readonly servedBy: Side }
  | { readonly ok: false; readonly error: PublishError }

/**
 * The decision for one job, exactly as for an HTTP request: groups, then the bucket of the sticky
 * key (`json:FIELD` of the body), else random with the same share. Jobs have no opt-in cookie.
 */
export function decideJob(view: TargetView, job: Job, random: Random): Decision {
  return decide(view, stickyKey(view.keySources, job.data), undefined, random, jobKeyReader(job.data))
}

/**
 * Publishes one job on the decided side; if new fails, on old instead (the HTTP plane's "retry on
 * old" rule: a job is never dropped because new is unwell). Publishes exactly one Outcome for the
 * attempt: fellBack with new's error when old took over; `error` is always set when the job ended in
 * no sink (a refusal without a transport reason counts as 'protocol'), so failures are never counted
 * as routed. `durationMs` is the publish latency, fallback included.
 */
export async function routeOnce(ctx: RouteContext, job: Job, decision: Decision): Promise<RouteResult> {
  const started = performance.now()
  const first = await tryPublish(ctx.sinks[decision.side], job)
  if (first === undefined) return done(ctx, decision, started, { servedBy: decision.side })
  if (decision.side === 'old') return done(ctx, decision, started, { servedBy: 'old', failure: first })
  const second = await tryPublish(ctx.sinks.old, job)
  return done(ctx, decision, started, { servedBy: 'old', fellBackFrom: first, ...(second ? { failure: second } : {}) })
}

async function tryPublish(sink: { publish(job: Job): Promise<void> }, job: Job): Promise<PublishError | undefined> {
  try {
    await sink.publish(job)
    return undefined
  } catch (err) {
    return toPublishError(err)
  }
}

interface Ending {
  readonly servedBy: Side
  /** Set when the job ended in no sink: the last sink's failure. */
  readonly failure?: PublishError
  /** Set when new failed and old was tried. */
  readonly fellBackFrom?: PublishError
}

function done(ctx: RouteContext, decision: Decision, started: number, e: Ending): RouteResult {
  ctx.bus.publish({
    kind: 'queue',
    name: ctx.name,
    side: decision.side,
    reason: decision.reason,
    servedBy: e.servedBy,
    status: e.failure === undefined ? ACCEPTED_STATUS : e.failure.sinkStatus,
    error: errorOf(e),
    fellBack: e.fellBackFrom !== undefined,
    durationMs: performance.now() - started,
  })
  return e.failure === undefined ? { ok: true, servedBy: e.servedBy } : { ok: false, error: e.failure }
}

function errorOf(e: Ending): UpstreamErrorReason | undefined {
  const failed = e.fellBackFrom ?? e.failure
  if (failed === undefined) return undefined
  return failed.reason ?? e.failure?.reason ?? 'protocol'
}
