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

  it('checkout: the new side sells less, the purchase goal rolls it back and the timeline says by how much', async () => {
    const r = await runCli(['demo', 'checkout', '--duration', '30s'], {}, 70_000) // the rollback comes at about 10 s on an idle machine
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = r.stdout
    expect(out).toMatch(/percent\s+10%\s+purchase: old [\d.]+ % of\s+\d+ users, new [\d.]+ % of\s+\d+ users/)
    expect(out).toMatch(/-- 0% rolled_back \(analysis: evidence over its bar 2 windows in a row: goal purchase: purchase fell \d+ % \(interval −\d+ % … −\d+ %\)\)/)
    const because = /-- rolled back because purchase fell (\d+) % \(interval −(\d+) % … −(\d+) %\)/.exec(out)
    expect(because).not.toBeNull()
    const [fell, widest, narrowest] = because!.slice(1).map(Number)
    // new sells 30 % of visitors against 40 %: a 25 % fall, inside an interval wholly past maxLoss (10 %)
    expect(fell).toBeGreaterThanOrEqual(15)
    expect(fell).toBeLessThanOrEqual(35)
    expect(widest).toBeGreaterThanOrEqual(fell!)
    expect(narrowest).toBeGreaterThan(10)
    expect(out).toMatch(/timeline \(sluice history shop\):\nAT\s+ACTOR\s+FROM\s+TO\s+REASON/)
    expect(out).toMatch(/ROUTE\s+GOAL\s+OLD\s+NEW\s+LIFT\s+INTERVAL\s+VERDICT\nshop\s+purchase/)
    expect(out).toContain('demo stopped')
  }, 100_000)

  it('refuses an unknown scenario', async () => {
    const r = await runCli(['demo', 'bakery'], {}, 30_000)
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("unknown scenario 'bakery'")
  })
})
