import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy } from '../../../src/config/types.js'
import { accumulate, assess, freshEvidence, observe, type Evidence, type SideWindow } from '../../../src/core/analysis.js'
import { ShadowCounts, AnalysisWindows } from '../../../src/observe/analysis-windows.js'
import { mergeShadow, parseSides } from '../../../src/state/fleet.js'

/** A healthy side: requests, no errors, fast. */
function side(requests: number): SideWindow {
  return { requests, errors: 0, timed: requests, p99Ms: 20, slowerThan: (ms) => (ms < 20 ? requests : 0) }
}

const policy: AnalysisPolicy = {
  windowMs: 60_000, minRequests: 10, failureLimit: 2, alpha: 0.05,
  maxErrorRate: undefined, maxP99Ms: undefined, maxErrorRateVsOld: undefined, maxP99VsOld: undefined,
  maxMismatchRate: 0.01,
}

function judge(windows: number, judged: number, differed: number) {
  let e: Evidence = freshEvidence(policy, 0)
  for (let i = 0; i < windows; i++) {
    e = accumulate(policy, e, observe(policy, side(500), side(20), { judged, differed }))
  }
  return assess(policy, e, 1)
}

describe('maxMismatchRate (README "Shadow traffic")', () => {
  it('fails on shadow answers that differ well above the limit, with the always-valid evidence of the other checks', () => {
    const v = judge(3, 400, 40)
    expect(v.kind).toBe('fail')
    expect(v.failed).toEqual(['maxMismatchRate'])
    expect(v.checks[0]).toMatchObject({ check: 'maxMismatchRate', pass: false, limit: 0.01 })
  })

  it('passes at or below the limit, and without shadow calls carries no evidence either way', () => {
    expect(judge(5, 400, 2).kind).toBe('pass')
    const none = judge(5, 0, 0)
    expect(none.kind).toBe('pass')
    expect(none.checks[0]!.m).toBe(1)
  })

  it('is counted per route and window, and merged across replicas', () => {
    const windows = new AnalysisWindows()
    windows.recordShadow('r', false)
    windows.recordShadow('r', true)
    windows.recordShadow('r', true)
    const pair = windows.take('route/r')
    expect([pair.shadow.judged, pair.shadow.differed]).toEqual([3, 2])
    expect(windows.take('route/r').shadow.judged).toBe(0)
    const merged = new ShadowCounts()
    merged.merge(mergeShadow({ judged: 3, differed: 2 }, { judged: 5, differed: 1 })!)
    expect([merged.judged, merged.differed]).toEqual([8, 3])
    expect(mergeShadow(undefined, { judged: 1, differed: 0 })).toEqual({ judged: 1, differed: 0 })
  })

  it('the fleet wire shape carries shadow counts optionally and refuses a malformed one', () => {
    const sides = { old: { requests: 1, errors: 0, histogram: [] }, new: { requests: 1, errors: 0, histogram: [] } }
    expect(parseSides(JSON.stringify(sides))).toEqual(sides)
    expect(parseSides(JSON.stringify({ ...sides, shadow: { judged: 4, differed: 1 } }))?.shadow)
      .toEqual({ judged: 4, differed: 1 })
    expect(parseSides(JSON.stringify({ ...sides, shadow: { judged: -1, differed: 0 } }))).toBeUndefined()
  })
})
