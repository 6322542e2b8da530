import type { TargetRef } from '../core/types.js'
import type { ViewTable } from '../state/views.js'

/** Group name → effective member count of one target. */
export type GroupSizes = Readonly<Record<string, number>>

/**
 * A target's group sizes from the decision views: each group's member map is built once per
 * state change (for the data plane), so its size is a count already kept, read in O(groups).
 * Undefined before the views exist or for an unknown name.
 */
export function groupSizesOf(views: ViewTable | undefined, ref: TargetRef): GroupSizes | undefined {
  const view = (ref.kind === 'route' ? views?.routes : views?.queues)?.get(ref.name)
  if (view === undefined) return undefined
  const sizes: Record<string, number> = {}
  for (const g of view.groups) sizes[g.name] = g.members.size
  return sizes
}
