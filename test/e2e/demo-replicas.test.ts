import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/sluice-process.js'
import { NO_REDIS_REASON, REDIS_SERVER } from '../helpers/redis-server.js'

describe.skipIf(!REDIS_SERVER)(`sluice demo --replicas 3${REDIS_SERVER ? '' : ` (skipped: ${NO_REDIS_REASON})`}`, () => {
  it('three replicas and one Redis agree on percent, state and every sampled user, and follow a change made through one', async () => {
    const r = await runCli(['demo', '--replicas', '3', '--duration', '13s'], {}, 40_000)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const reports = r.stdout.split('\n').filter((l) => l.includes('same side on every replica'))
    expect(reports.length).toBeGreaterThanOrEqual(4)
    for (const line of reports) {
      expect(line).toContain('200/200 users')
      expect((line.match(/\(leader\)/g) ?? []).length).toBe(1)
      const percents = [...line.matchAll(/replica \d(?: \(leader\))?: ([\d.]+)% (\w+)/g)].map((m) => `${m[1]} ${m[2]}`)
      expect(percents).toHaveLength(3)
      expect(new Set(percents).size).toBe(1)
    }
    expect(r.stdout).toMatch(/replica 1 \(leader\): 10% progressing/)
    expect(r.stdout).toMatch(/replica \d(?: \(leader\))?: 50% manual/)
    expect(r.stdout).toContain('demo stopped')
  }, 60_000)
})
