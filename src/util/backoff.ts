/** How a retry delay grows with the attempt number, up to a ceiling. */
export interface BackoffPolicy {
  /** 'doubling': stepMs × 2^attempt; 'stepped': stepMs × attempt. */
  readonly growth: 'doubling' | 'stepped'
  readonly stepMs: number
  /** The ceiling: no delay is longer (before jitter). */
  readonly maxMs: number
  /** Each delay is spread at random by ± this fraction, so that many retriers do not march in step. */
  readonly jitter?: number
}

/** Enough doublings to pass any ceiling; the exponent stops here so that the product stays finite. */
const MAX_DOUBLINGS = 30

/** The delay before retry number `attempt` under `policy`, in ms. */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const grown = policy.growth === 'doubling'
    ? policy.stepMs * 2 ** Math.min(attempt, MAX_DOUBLINGS)
    : policy.stepMs * attempt
  const capped = Math.min(grown, policy.maxMs)
  const jitter = policy.jitter
  return jitter === undefined ? capped : Math.round(capped * (1 - jitter + 2 * jitter * random()))
}
