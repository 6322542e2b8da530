import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/sluice-process.js'

describe('sluice demo', () => {
  it('runs backends, sluice and traffic, prints the observed share and stops cleanly', async () => {
    const r = await runCli(['demo', '--duration', '5s'], {}, 30_000)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/data plane\s+http:\/\/127\.0\.0\.1:\d+/)
    const shares = r.stdout.split('\n').filter((l) => l.includes('observed: new'))
    expect(shares.length).toBeGreaterThanOrEqual(2)
    // At 10 % the observed share of the first report is near 10 %, and nothing failed.
    const first = /new\s+([\d.]+)%/.exec(shares[0]!)
    expect(Number(first?.[1])).toBeGreaterThan(2)
    expect(Number(first?.[1])).toBeLessThan(25)
    expect(r.stdout).not.toMatch(/errors\)/)
    expect(r.stdout).toContain('demo stopped')
  })
})
