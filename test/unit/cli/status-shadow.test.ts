import { describe, expect, it } from 'vitest'
import { shadowSection, type TargetJson } from '../../../src/cli/commands/status.js'

const route = (name: string, shadow?: TargetJson['shadow']): TargetJson => ({
  name, kind: 'route', percent: 0, state: 'manual', step: -1, steps: [], nextStepAt: null, windowOpen: null, lastVerdict: null,
  ...(shadow ? { shadow } : {}),
})

describe('sluice status: shadow traffic (README "Shadow traffic")', () => {
  it('adds one row per route with shadow traffic, and nothing when none has it', () => {
    expect(shadowSection([route('plain')])).toBe('')
    const text = shadowSection([
      route('catalog', { compared: 812, mismatched: 3, errors: 1, skipped: 0, mismatchRate: 4 / 813 }),
      route('plain'),
      route('fresh', { compared: 0, mismatched: 0, errors: 0, skipped: 2, mismatchRate: null }),
    ])
    expect(text.split('\n').slice(2)).toEqual([
      'ROUTE    SHADOW COMPARED  MISMATCHED  ERRORS  SKIPPED  MISMATCH RATE',
      'catalog  812              3           1       0        0.49%',
      'fresh    0                0           0       2        -',
    ])
  })
})
