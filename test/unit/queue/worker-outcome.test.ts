import { describe, expect, it } from 'vitest'
import { buildWorkerOutcome } from '../../../src/dataplane/queue/worker-outcome.js'

describe('buildWorkerOutcome', () => {
  it('is the Outcome of the side that ran the job, origin worker, 200 when ok and 500 when not', () => {
    expect(buildWorkerOutcome('emails', { backend: 'new', ok: false, durationMs: 12 })).toEqual({
      kind: 'queue', name: 'emails', side: 'new', servedBy: 'new', reason: 'bucket', status: 500,
      error: undefined, fellBack: false, durationMs: 12, origin: 'worker',
    })
    expect(buildWorkerOutcome('emails', { backend: 'old', ok: true }).status).toBe(200)
  })

  it('without a duration it counts, but as no latency sample (NaN)', () => {
    expect(buildWorkerOutcome('emails', { backend: 'old', ok: true, durationMs: undefined }).durationMs).toBeNaN()
  })
})
