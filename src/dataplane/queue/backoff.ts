/**
 * Retry pacing for broker trouble. The first retry comes quickly (a failover or a restarted Redis
 * is often back within a second); later ones back off to a ceiling low enough that a recovered
 * broker is used again within a few seconds, and high enough not to hammer a dead one.
 */
export const BACKOFF_BASE_MS = 100
export const BACKOFF_MAX_MS = 5_000

/** Delay before retry number `attempt` (0-based): exponential, capped, with ±20 % jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16))
  return Math.round(base * (0.8 + 0.4 * random()))
}
