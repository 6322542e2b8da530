import type { GoalConfig } from '../config/types.js'
import type { OutsideCheck } from '../core/analysis.js'
import { goalCheck, type GoalReport } from '../core/goals.js'

/** What the controller reads goals from (observe/goals.ts's GoalCounter). */
export interface GoalSource {
  report(route: string, alpha: number): Record<string, GoalReport> | undefined
  goalsOf(route: string): readonly GoalConfig[]
}

/**
 * A route's goals as outside checks of the window that just closed, judged on the step's figures
 * (one split; see observe/goals.ts) at the analysis' alpha. A goal without maxLoss is shown but
 * always passes (core/goals.ts goalCheck). With several replicas the figures are the fleet's.
 */
export function goalChecks(route: string, source: GoalSource | undefined, alpha: number): OutsideCheck[] {
  if (source === undefined) return []
  const reports = source.report(route, alpha)
  if (reports === undefined) return []
  const checks: OutsideCheck[] = []
  for (const g of source.goalsOf(route)) {
    const r = reports[g.name]
    if (r !== undefined) checks.push(goalCheck(g.name, r, g.maxLoss))
  }
  return checks
}
