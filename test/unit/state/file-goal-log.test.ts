import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FileGoalLog } from '../../../src/state/file-goal-log.js'
import type { GoalChunk } from '../../../src/state/goal-log.js'

const chunk = (n: number, stepStart = 1): GoalChunk => ({
  stepStart,
  exposed: { old: [n, n + 1], new: [n + 2] },
  conversions: [{ goal: 'purchase', side: 'old', keyHash: n, value: n / 10 }],
})

describe('FileGoalLog (goal counts beside the state file)', () => {
  const dirs: string[] = []
  const dir = () => { const d = mkdtempSync(join(tmpdir(), 'sluice-goal-log-')); dirs.push(d); return join(d, 'state.json.goals') }
  afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

  it('reads back in append order from any index, and again after a restart', async () => {
    const d = dir()
    const log = new FileGoalLog(d)
    expect(await log.read('shop', 100, 0)).toEqual({ chunks: [], next: 0 })
    for (let i = 0; i < 3; i++) await log.append('shop', 100, chunk(i * 10))
    expect(await log.read('shop', 100, 0)).toEqual({ chunks: [chunk(0), chunk(10), chunk(20)], next: 3 })
    expect(await log.read('shop', 100, 2)).toEqual({ chunks: [chunk(20)], next: 3 })
    expect(await log.read('shop', 100, 3)).toEqual({ chunks: [], next: 3 })
    const again = new FileGoalLog(d)
    expect(await again.read('shop', 100, 1)).toEqual({ chunks: [chunk(10), chunk(20)], next: 3 })
    await again.append('shop', 100, chunk(30))
    expect((await again.read('shop', 100, 0)).chunks).toHaveLength(4)
  })

  it('a chunk cut short by a crash is dropped, the ones before it kept', async () => {
    const d = dir()
    const log = new FileGoalLog(d)
    await log.append('shop', 1, chunk(1))
    await log.append('shop', 1, chunk(2))
    const file = join(d, 'shop.1.log')
    truncateSync(file, statSync(file).size - 3)
    expect(await new FileGoalLog(d).read('shop', 1, 0)).toEqual({ chunks: [chunk(1)], next: 1 })
  })

  it('a new rollout of a route removes that route\'s older logs only', async () => {
    const d = dir()
    const log = new FileGoalLog(d)
    await log.append('shop', 1, chunk(1))
    await log.append('shop-eu', 1, chunk(1))
    await log.append('shop', 2, chunk(2))
    expect(readdirSync(d).sort()).toEqual(['shop-eu.1.log', 'shop.2.log'])
    expect(await log.read('shop', 1, 0)).toEqual({ chunks: [], next: 0 })
  })
})
