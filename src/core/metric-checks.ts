import type { Side } from '../config/types.js'
import type { OutsideCheck } from './analysis.js'

/**
 * Metric checks: the application's own metrics, read from Prometheus once per analysis window
 * (README "Metric checks from Prometheus", docs/ANALYSIS.md §7). This module only judges the answers;
 * control/ asks.
 *
 * Each check's query is rendered per side (`{{side}}` → old / new) and must give one number.
 * - `max` / `min` bound new's value.
 * - `maxVsOld k` / `minVsOld k` bound new's value against k × old's. They are judged only when
 *   old's value is above 0: a ratio to 0 (an old side without a single error) or to a negative
 *   number says nothing, and an absolute bound (`max`) is the tool for that case.
 * - No data (an empty vector), several series, NaN, ±Inf, a query error or an unreachable server
 *   make the check INCONCLUSIVE: the step holds, nothing is rolled back. A monitoring outage or a
 *   metric that does not exist yet is no evidence against the new version (Flagger counts "no
 *   data" as a failure and rolls back healthy releases when Prometheus hiccups).
 */

/** The limits of one check (at least one is set; config validation enforces it). */
export interface MetricLimits {
  readonly max: number | undefined
  readonly min: number | undefined
  readonly maxVsOld: number | undefined
  readonly minVsOld: number | undefined
}

/** What one side's query returned: the values of its series (a scalar is one value), or why there are none. */
export type QueryAnswer =
  | { readonly ok: true; readonly values: readonly number[] }
  | { readonly ok: false; readonly error: string }

/** One side's value, or why there is none ("no data", "NaN", "3 series", the query's error). */
export type SideValue = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly why: string }

/** The one finite number an answer must carry. */
export function sideValue(answer: QueryAnswer): SideValue {
  if (!answer.ok) return { ok: false, why: answer.error }
  const { values } = answer
  if (values.length === 0) return { ok: false, why: 'no data' }
  if (values.length > 1) return { ok: false, why: `${values.length} series (aggregate the query to one, e.g. with sum())` }
  const value = values[0]!
  if (Number.isNaN(value)) return { ok: false, why: 'NaN' }
  if (!Number.isFinite(value)) return { ok: false, why: `${value > 0 ? '+' : '-'}Inf` }
  return { ok: true, value }
}

/** Whether judging needs old's value at all (a relative limit is set). */
export function needsOld(limits: MetricLimits): boolean {
  return limits.maxVsOld !== undefined || limits.minVsOld !== undefined
}

/**
 * The check's outcome for this window: `fail` when new's value breaks a limit, `inconclusive`
 * when a value it needs is missing, `pass` otherwise. Figures: new's `value`, old's `old`, their
 * `ratio` and the configured limits (null where absent), for status, history and webhooks.
 */
export function judgeMetric(
  name: string, limits: MetricLimits, answers: Readonly<Record<Side, SideValue>>,
): OutsideCheck {
  const n = answers.new
  const o = answers.old
  const oldValue = o.ok ? o.value : null
  const relative = o.ok && o.value > 0
  const ratio = n.ok && relative ? n.value / o.value : null
  const figures = {
    value: n.ok ? n.value : null, old: oldValue, ratio,
    max: limits.max ?? null, min: limits.min ?? null,
    maxVsOld: limits.maxVsOld ?? null, minVsOld: limits.minVsOld ?? null,
  }
  const base = { kind: 'metric' as const, name, figures }
  if (!n.ok) return { ...base, outcome: 'inconclusive', summary: `${name}: ${n.why} for new` }
  const broken = brokenLimits(name, limits, n.value, ratio)
  if (broken.length > 0) return { ...base, outcome: 'fail', summary: broken.join('; ') }
  if (!o.ok && needsOld(limits)) return { ...base, outcome: 'inconclusive', summary: `${name}: ${o.why} for old` }
  return { ...base, outcome: 'pass', summary: passSummary(name, limits, n.value, ratio, oldValue) }
}

/** "app-errors 0.041 > max 0.02", "app-errors new 2.3× old > maxVsOld 1.5". */
function brokenLimits(name: string, l: MetricLimits, value: number, ratio: number | null): string[] {
  const out: string[] = []
  if (l.max !== undefined && value > l.max) out.push(`${name} ${fmt(value)} > max ${fmt(l.max)}`)
  if (l.min !== undefined && value < l.min) out.push(`${name} ${fmt(value)} < min ${fmt(l.min)}`)
  if (ratio !== null && l.maxVsOld !== undefined && ratio > l.maxVsOld) out.push(`${name} new ${fmt(ratio)}× old > maxVsOld ${fmt(l.maxVsOld)}`)
  if (ratio !== null && l.minVsOld !== undefined && ratio < l.minVsOld) out.push(`${name} new ${fmt(ratio)}× old < minVsOld ${fmt(l.minVsOld)}`)
  return out
}

/** "app-errors 0.004 (max 0.02), 1.1× old (maxVsOld 1.5)"; an unjudged ratio says why. */
function passSummary(
  name: string, l: MetricLimits, value: number, ratio: number | null, oldValue: number | null,
): string {
  const absolute = [l.max === undefined ? '' : `max ${fmt(l.max)}`, l.min === undefined ? '' : `min ${fmt(l.min)}`].filter(Boolean)
  const rel = [l.maxVsOld === undefined ? '' : `maxVsOld ${fmt(l.maxVsOld)}`, l.minVsOld === undefined ? '' : `minVsOld ${fmt(l.minVsOld)}`].filter(Boolean)
  const parts = [`${name} ${fmt(value)}${absolute.length > 0 ? ` (${absolute.join(', ')})` : ''}`]
  if (rel.length > 0) parts.push(ratio === null ? `old ${fmt(oldValue ?? 0)}: ${rel.join(', ')} not judged` : `${fmt(ratio)}× old (${rel.join(', ')})`)
  return parts.join(', ')
}

/** Three significant digits, no exponent for everyday magnitudes. */
function fmt(x: number): string {
  return String(Number(x.toPrecision(3)))
}

/** The query for one side: `{{side}}` → old / new, `{{route}}` / `{{queue}}` → the target's name. */
export function renderQuery(query: string, side: Side, target: string): string {
  return query.replace(/\{\{\s*(side|route|queue)\s*\}\}/g, (_m, key: string) => (key === 'side' ? side : target))
}

/** Whether the query reads `{{side}}` (otherwise both sides run the same query). */
export function usesSide(query: string): boolean {
  return /\{\{\s*side\s*\}\}/.test(query)
}
