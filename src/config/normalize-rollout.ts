import { parseDuration } from '../util/duration.js'
import type { RawAnalysis, RawMetricCheck, RawPrometheus, RawRollout, RawSchedule, RawWindow } from './raw.js'
import { DAY_NAMES } from './schema.js'
import type { AnalysisPolicy, MetricCheckConfig, PrometheusServer, RolloutPolicy, SchedulePolicy, TimeWindow } from './types.js'
import { canonicalTimeZone, toBasisPoints, toMinutes } from './values.js'

/** A Prometheus query without a `timeout` gives up after this long (and never after the analysis window). */
export const DEFAULT_PROMETHEUS_TIMEOUT = '5s'

/**
 * A validated `rollout:` block → RolloutPolicy (basis points, milliseconds, minutes, day numbers).
 * `prometheus`: the file's top-level server, the default of every metric check.
 */
export function normalizeRollout(raw: RawRollout | undefined, prometheus?: RawPrometheus): RolloutPolicy | undefined {
  if (raw === undefined) return undefined
  return {
    stepsBp: raw.steps.map(toBasisPoints),
    intervalMs: parseDuration(raw.interval),
    schedule: normalizeSchedule(raw.schedule),
    analysis: normalizeAnalysis(raw.analysis, prometheus),
  }
}

function normalizeSchedule(raw: RawSchedule | undefined): SchedulePolicy | undefined {
  if (raw === undefined) return undefined
  return {
    // Validation accepted the name, so Intl knows it; the canonical spelling keeps logs consistent.
    timezone: canonicalTimeZone(raw.timezone) ?? raw.timezone,
    windows: raw.windows.map(normalizeWindow),
    // The schema's pattern admits one string, 'hold'.
    outside: typeof raw.outside === 'string' ? 'hold' : { percentBp: toBasisPoints(raw.outside) },
  }
}

function normalizeWindow(raw: RawWindow): TimeWindow {
  const days = raw.days.map((d) => (DAY_NAMES as readonly string[]).indexOf(d)).sort((a, b) => a - b)
  return { days, fromMin: toMinutes(raw.from), toMin: toMinutes(raw.to) }
}

function normalizeAnalysis(
  raw: RawAnalysis | undefined, prometheus: RawPrometheus | undefined,
): AnalysisPolicy | undefined {
  if (raw === undefined) return undefined
  return {
    windowMs: parseDuration(raw.window),
    minRequests: raw.minRequests,
    maxErrorRate: raw.maxErrorRate,
    maxP99Ms: raw.maxP99Ms,
    maxErrorRateVsOld: raw.maxErrorRateVsOld,
    maxP99VsOld: raw.maxP99VsOld,
    ...(raw.maxMismatchRate === undefined ? {} : { maxMismatchRate: raw.maxMismatchRate }),
    failureLimit: raw.failureLimit,
    alpha: raw.alpha,
    metrics: raw.metrics.map((m) => normalizeMetricCheck(m, prometheus)),
  }
}

function normalizeMetricCheck(raw: RawMetricCheck, top: RawPrometheus | undefined): MetricCheckConfig {
  return {
    name: raw.name,
    query: raw.query,
    max: raw.max,
    min: raw.min,
    maxVsOld: raw.maxVsOld,
    minVsOld: raw.minVsOld,
    prometheus: server(raw.prometheus, top),
  }
}

/**
 * The check's own server, else the top-level one; a timeout comes from the same place, else the top
 * level, else the default.
 */
function server(own: RawPrometheus | undefined, top: RawPrometheus | undefined): PrometheusServer {
  const url = own?.url ?? top?.url ?? ''
  const timeout = own?.timeout ?? top?.timeout ?? DEFAULT_PROMETHEUS_TIMEOUT
  return { url: url.replace(/\/+$/, ''), timeoutMs: parseDuration(timeout) }
}
