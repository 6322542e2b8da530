import { describe, expect, it } from 'vitest'
import type { AnalysisPolicy } from '../../../src/config/types.js'
import { FLUSH_GRACE_MS, FleetFlusher, FleetWindowSource } from '../../../src/control/window-sources.js'
import type { TargetRef } from '../../../src/core/types.js'
import { AnalysisWindows } from '../../../src/observe/analysis-windows.js'
import { EMPTY_SIDE, mergeShadow, mergeSides, type FleetWindows, type MergedWindow, type WindowRef, type WindowSides } from '../../../src/state/fleet.js'

/** FleetWindows in memory, with the Redis store's semantics (one contribution per replica and window). */
class MemoryFleet implements FleetWindows {
  readonly #windows = new Map<string, Map<string, WindowSides>>()
  async flushWindow(ref: TargetRef, w: WindowRef, replica: string, sides: WindowSides): Promise<void> {
    const key = `${ref.kind}/${ref.name}/${w.ms}/${w.id}`
    const m = this.#windows.get(key) ?? new Map<string, WindowSides>()
    m.set(replica, sides)
    this.#windows.set(key, m)
  }
  async readWindow(ref: TargetRef, w: WindowRef): Promise<MergedWindow> {
    const m = this.#windows.get(`${ref.kind}/${ref.name}/${w.ms}/${w.id}`) ?? new Map<string, WindowSides>()
    let out: MergedWindow = { old: EMPTY_SIDE, new: EMPTY_SIDE, replicas: 0 }
    for (const s of m.values()) {
      const shadow = mergeShadow(out.shadow, s.shadow)
      out = {
        old: mergeSides(out.old, s.old), new: mergeSides(out.new, s.new), replicas: out.replicas + 1,
        ...(shadow ? { shadow } : {}),
      }
    }
    return out
  }
}

const policy = { windowMs: 10_000 } as AnalysisPolicy
const ref: TargetRef = { kind: 'route', name: 'checkout' }

describe('fleet-wide shadow counts (README "Shadow traffic" with state.store redis)', () => {
  it('every replica flushes its shadow calls; the leader judges their sum', async () => {
    const fleet = new MemoryFleet()
    const replicas = ['a', 'b'].map((name) => ({ name, windows: new AnalysisWindows() }))
    const flushers = replicas.map((r) => new FleetFlusher(r.windows, fleet, r.name))
    const leader = new FleetWindowSource(fleet)
    const t0 = 1_000_000_000_000
    for (const f of flushers) await f.flush(ref, 'route/checkout', policy, t0)
    expect(await leader.next(ref, 'route/checkout', policy, t0)).toBeUndefined()
    // Window of t0 + 10 s: a sees 3 calls (1 differed), b sees 2 (2 differed).
    const t1 = t0 + 10_000
    for (const d of [false, true, false]) replicas[0]!.windows.recordShadow('checkout', d)
    for (const d of [true, true]) replicas[1]!.windows.recordShadow('checkout', d)
    for (const f of flushers) await f.flush(ref, 'route/checkout', policy, t1 + 10_000)
    let pair
    for (let t = t1; pair === undefined && t < t1 + 40_000; t += 1_000) pair = await leader.next(ref, 'route/checkout', policy, t + 10_000 + FLUSH_GRACE_MS)
    expect(pair).toBeDefined()
    expect([pair!.shadow.judged, pair!.shadow.differed]).toEqual([5, 3])
  })
})
