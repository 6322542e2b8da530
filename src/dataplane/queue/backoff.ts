import { backoffDelayMs, type BackoffPolicy } from '../../util/backoff.js'

/**
 * Retry pacing for broker trouble. The first retry comes quickly (a failover or a restarted Redis
 * is often back within a second); later ones back off to a ceiling low enough that a recovered
 * broker is used again within a few seconds, and high enough not to hammer a dead one.
 */
export const BACKOFF_BASE_MS = 100
export const BACKOFF_MAX_MS = 5_000

/** Exponential from BACKOFF_BASE_MS, capped at BACKOFF_MAX_MS, with ±20 % jitter. */
export const BROKER_RETRY: BackoffPolicy = {
  growth: 'doubling', stepMs: BACKOFF_BASE_MS, maxMs: BACKOFF_MAX_MS, jitter: 0.2,
}

/** Delay before retry number `attempt` (0-based) under BROKER_RETRY. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return backoffDelayMs(attempt, BROKER_RETRY, random)
}
