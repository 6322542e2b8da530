import type { DecisionReason, Side, TargetRef } from '../core/types.js'

export type UpstreamErrorReason = 'connect' | 'timeout' | 'reset' | 'protocol' | 'tls'
export const UPSTREAM_ERROR_REASONS: readonly UpstreamErrorReason[] = ['connect', 'timeout', 'reset', 'protocol', 'tls']

/**
 * One client request (or job) as the data plane saw it: the seam between the planes and whoever
 * observes them (metrics, analysis windows, access log). The data plane only publishes these.
 */
export interface Outcome extends TargetRef {
  /** The side the decision picked. */
  readonly side: Side
  readonly reason: DecisionReason
  /** The side that produced the response (differs from `side` after a fallback new → old). */
  readonly servedBy: Side
  /** Status sent to the client (sluice's own 502/504 included); 0 when the client went away first. */
  readonly status: number
  /** Set when the decided side failed at transport level (also after a successful fallback). */
  readonly error: UpstreamErrorReason | undefined
  /** True when `side` failed to connect and the request was retried on the other side. */
  readonly fellBack: boolean
  /** From the first request byte to the last response byte, ms. */
  readonly durationMs: number
  /**
   * True when the client went away before its answer finished (the data plane stopped the upstream
   * leg); `status` is then 0, or the status of a head already sent. Absent on queue outcomes.
   * Analysis counts it as an error, and as a latency sample at least as slow as `durationMs`.
   */
  readonly clientGone?: boolean
  /**
   * 'worker': a queue worker's reported result for a job (POST /api/queues/NAME/outcomes or the
   * producer API), not a routing event: it feeds the analysis windows, not the routing counters.
   */
  readonly origin?: 'worker'
  /**
   * The sticky key's fingerprint (its bucket hash), set only on routes with goals and only when the
   * request had a key: it exposes that key on `side` (observe/goals.ts).
   */
  readonly keyHash?: number | undefined
}

export type OutcomeListener = (o: Outcome) => void

export interface OutcomeBus {
  publish(o: Outcome): void
  subscribe(fn: OutcomeListener): () => void
}

/** Synchronous fan-out; listeners must be cheap (they run on the request path). */
export function createOutcomeBus(): OutcomeBus {
  let listeners: OutcomeListener[] = []
  return {
    publish(o) {
      for (let i = 0; i < listeners.length; i++) listeners[i]!(o)
    },
    subscribe(fn) {
      listeners = [...listeners, fn]
      return () => { listeners = listeners.filter((l) => l !== fn) }
    },
  }
}
