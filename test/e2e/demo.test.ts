import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/sluice-process.js'

describe('sluice demo', () => {
  it('ramps, breaks the new backend, rolls back with the reason, prints the timeline, and stops cleanly', async () => {
    const r = await runCli(['demo', '--duration', '22s'], {}, 60_000)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = r.stdout
    expect(out).toMatch(/data plane\s+http:\/\/127\.0\.0\.1:\d+/)
    expect(out).toMatch(/dashboard\s+http:\/\/127\.0\.0\.1:\d+\//)
    expect(out.split('\n').filter((l) => l.includes('observed: new')).length).toBeGreaterThanOrEqual(5)
    // The ramp advances through its first steps, by the schedule actor, after passing analyses.
    expect(out).toContain('-- 5% progressing (schedule')
    expect(out).toContain('-- 10% progressing (schedule')
    expect(out).toContain('-- the new backend starts failing')
    // Then analysis rolls it back, and says why with both sides' figures.
    expect(out).toMatch(/-- 0% rolled_back \(analysis: evidence over its bar 2 windows in a row: maxErrorRate/)
    expect(out).toMatch(/-- rolled back because maxErrorRate.* failed: new \d+ requests, [\d.]+ % errors; old \d+ requests, 0\.0 % errors/)
    expect(out).toMatch(/timeline \(sluice history demo\):\nAT\s+ACTOR\s+FROM\s+TO\s+REASON/)
    expect(out).toMatch(/demo\s+route\s+0%\s+rolled_back/)
    expect(out).toContain('demo stopped')
  }, 90_000) // a 22 s demo; runCli gives up at 60 s, the test a little later
})
