import type { Config } from './types.js'

/**
 * The reload rule of the README (Operations): "a value from the file is applied only where it differs from
 * the previously loaded file". Live state (a set-percent, a rollback) is not in the file, so an
 * unrelated reload must not undo it; an edit of the file's own value always wins.
 */

/** `route/NAME` or `queue/NAME`: the same spelling as the state store's keys. */
export type TargetKey = `${'route' | 'queue'}/${string}`

export interface TargetIntent {
  readonly kind: 'route' | 'queue'
  readonly name: string
  /** Not in the previous file (or there was none): everything the file says applies. */
  readonly added: boolean
  /** The file's percent differs from the previous file's (always true when `added`). */
  readonly percentChanged: boolean
  /** The file's percent for this target, in basis points. */
  readonly percentBp: number
}

export interface FileIntentDiff {
  /** One entry per route and queue of the next file. */
  readonly targets: ReadonlyMap<TargetKey, TargetIntent>
  /** Targets of the previous file that the next one no longer has. */
  readonly removed: readonly TargetKey[]
}

/**
 * Compare two loaded files' intent, target by target. `prev` undefined = first load: every
 * target counts as added and changed.
 */
export function diffFileIntent(prev: Config | undefined, next: Config): FileIntentDiff {
  const before = percents(prev)
  const after = percents(next)
  const targets = new Map<TargetKey, TargetIntent>()
  for (const [key, { kind, name, percentBp }] of after) {
    const old = before.get(key)
    targets.set(key, { kind, name, added: old === undefined, percentChanged: old?.percentBp !== percentBp, percentBp })
  }
  const removed = [...before.keys()].filter((key) => !after.has(key))
  return { targets, removed }
}

interface FilePercent {
  readonly kind: 'route' | 'queue'
  readonly name: string
  readonly percentBp: number
}

function percents(config: Config | undefined): Map<TargetKey, FilePercent> {
  const out = new Map<TargetKey, FilePercent>()
  for (const r of config?.routes ?? []) out.set(`route/${r.name}`, { kind: 'route', name: r.name, percentBp: r.percentBp })
  for (const q of config?.queues ?? []) out.set(`queue/${q.name}`, { kind: 'queue', name: q.name, percentBp: q.percentBp })
  return out
}
