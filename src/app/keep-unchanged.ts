import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { Config, QueueConfig, RouteConfig } from '../config/types.js'
import { TimeSlice } from '../util/time-slice.js'

/**
 * `next` with every route and queue that is exactly as in `running` replaced by the running one's
 * object. The views, compiled routes and upstream pools are cached by these objects: a reload that
 * edits one route of 10,000 then rebuilds that one, not all of them. Compares in slices.
 */
export async function keepUnchangedTargets(running: Config, next: Config): Promise<Config> {
  // The worker's last piece was put together in this turn: the comparison starts in a turn of its own.
  await yieldToLoop()
  const routes = await keepUnchanged(running.routes, next.routes)
  const queues = await keepUnchanged(running.queues, next.queues)
  if (routes === next.routes && queues === next.queues) return next
  return Object.freeze({ ...next, routes, queues })
}

async function keepUnchanged<T extends RouteConfig | QueueConfig>(
  running: readonly T[], next: readonly T[],
): Promise<readonly T[]> {
  const byName = new Map<string, T>()
  for (const t of running) byName.set(t.name, t)
  const out: T[] = []
  const slice = new TimeSlice()
  let kept = 0
  for (let i = 0; i < next.length; i++) {
    await slice.pass()
    const t = next[i]!
    const old = byName.get(t.name)
    const same = old !== undefined && samePlainData(old, t)
    if (same) kept++
    out.push(same ? old : t)
  }
  return kept === 0 ? next : Object.freeze(out)
}

/**
 * Deep equality of config data (objects, arrays, strings, numbers, booleans, undefined). Keys are
 * walked with for-in, not Object.keys: a reload compares 10,000 routes of a few dozen objects each,
 * and an array of keys per object was most of the garbage (config objects have no inherited keys).
 */
export function samePlainData(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  const isArray = Array.isArray(a)
  if (isArray !== Array.isArray(b)) return false
  if (isArray) {
    const x = a as readonly unknown[]
    const y = b as readonly unknown[]
    if (x.length !== y.length) return false
    for (let i = 0; i < x.length; i++) if (!samePlainData(x[i], y[i])) return false
    return true
  }
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  let keys = 0
  for (const k in x) {
    if (!Object.hasOwn(y, k) || !samePlainData(x[k], y[k])) return false
    keys++
  }
  for (const _ in y) keys--
  return keys === 0
}
