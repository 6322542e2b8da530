import type { AnalysisPolicy } from '../config/types.js'
import type { TargetRef } from '../core/types.js'
import { ShadowCounts, SideCounts, type AnalysisWindows, type WindowPair } from '../observe/analysis-windows.js'
import { addInto, toSparse, windowAt, type FleetWindows, type SerializedSide } from '../state/fleet.js'

/**
 * Where the controller gets one closed analysis window to judge. `next` resolves with the window
 * that has just closed, or undefined when none is due yet (or the figures are unreachable).
 */
export interface WindowSource {
  next(ref: TargetRef, key: string, policy: AnalysisPolicy, now: number): Promise<WindowPair | undefined>
  /** Forget a target's progress (its rollout stopped; a new one starts with a fresh window). */
  reset(key: string): void
}

/** One process: judge this process's own counts, one window every `policy.windowMs`. */
export class LocalWindowSource implements WindowSource {
  readonly #due = new Map<string, number>()

  constructor(private readonly windows: AnalysisWindows) {}

  async next(_ref: TargetRef, key: string, policy: AnalysisPolicy, now: number): Promise<WindowPair | undefined> {
    const due = this.#due.get(key)
    if (due === undefined) {
      // Start the first window now: whatever accumulated before belongs to no window.
      this.windows.take(key)
      this.#due.set(key, now + policy.windowMs)
      return undefined
    }
    if (now < due) return undefined
    this.#due.set(key, now + policy.windowMs)
    return this.windows.take(key)
  }

  reset(key: string): void {
    this.#due.delete(key)
    this.windows.take(key)
  }
}

/**
 * Replicas flush on the first tick after a window of the common grid ends (ticks are 1 s apart,
 * plus the flush's own round trip); the leader reads a window this long after its end.
 */
export const FLUSH_GRACE_MS = 1500

/**
 * Several replicas: the leader judges the fleet's merged figures for each window of the common
 * grid (windowAt), read FLUSH_GRACE_MS after the window ended, so that each replica alone may see
 * too few requests to judge and the fleet still does.
 */
export class FleetWindowSource implements WindowSource {
  readonly #judged = new Map<string, number>()

  constructor(private readonly fleet: FleetWindows) {}

  async next(ref: TargetRef, key: string, policy: AnalysisPolicy, now: number): Promise<WindowPair | undefined> {
    const ms = policy.windowMs
    const target = Math.floor((now - FLUSH_GRACE_MS) / ms) - 1
    const judged = this.#judged.get(key)
    // A new leader (or rollout) starts with the next whole window it can see from the start.
    if (judged === undefined) { this.#judged.set(key, target); return undefined }
    if (target <= judged) return undefined
    const merged = await this.fleet.readWindow(ref, { id: target, ms })
    this.#judged.set(key, target)
    const shadow = new ShadowCounts()
    if (merged.shadow) shadow.merge(merged.shadow)
    return { old: toCounts(merged.old), new: toCounts(merged.new), shadow }
  }

  reset(key: string): void {
    this.#judged.delete(key)
  }
}

/** Every replica: hand this process's counts of each closed grid window to the fleet. */
export class FleetFlusher {
  readonly #flushed = new Map<string, number>()

  constructor(
    private readonly windows: AnalysisWindows,
    private readonly fleet: FleetWindows,
    private readonly replica: string,
  ) {}

  async flush(ref: TargetRef, key: string, policy: AnalysisPolicy, now: number): Promise<void> {
    const current = windowAt(now, policy.windowMs).id
    const last = this.#flushed.get(key)
    this.#flushed.set(key, current)
    if (last === undefined) { this.windows.take(key); return } // a partial first window: dropped
    if (current <= last) return
    const pair = this.windows.take(key)
    await this.fleet.flushWindow(ref, { id: current - 1, ms: policy.windowMs }, this.replica, {
      old: serialize(pair.old), new: serialize(pair.new),
      ...(pair.shadow.judged > 0 ? { shadow: { judged: pair.shadow.judged, differed: pair.shadow.differed } } : {}),
    })
  }
}

function serialize(s: SideCounts): SerializedSide {
  return { requests: s.requests, errors: s.errors, histogram: toSparse(s.histogram()) }
}

function toCounts(s: SerializedSide): SideCounts {
  const counts = new SideCounts()
  addInto(counts, s)
  return counts
}
