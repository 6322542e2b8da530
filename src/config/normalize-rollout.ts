import { parseDuration } from '../util/duration.js'
import type { RawAnalysis, RawRollout, RawSchedule, RawWindow } from './raw.js'
import { DAY_NAMES } from './schema.js'
import type { AnalysisPolicy, RolloutPolicy, SchedulePolicy, TimeWindow } from './types.js'
import { canonicalTimeZone, toBasisPoints, toMinutes } from './values.js'

/** A validated `rollout:` block → RolloutPolicy (basis points, milliseconds, minutes, day numbers). */
export function normalizeRollout(raw: RawRollout | undefined): RolloutPolicy | undefined {
  if (raw === undefined) return undefined
  return {
    stepsBp: raw.steps.map(toBasisPoints),
    intervalMs: parseDuration(raw.interval),
    schedule: normalizeSchedule(raw.schedule),
    analysis: normalizeAnalysis(raw.analysis),
  }
}

function normalizeSchedule(raw: RawSchedule | undefined): SchedulePolicy | undefined {
  if (raw === undefined) return undefined
  return {
    // Validation accepted the name, so Intl knows it; the canonical spelling keeps logs consistent.
    timezone: canonicalTimeZone(raw.timezone) ?? raw.timezone,
    windows: raw.windows.map(normalizeWindow),
    outside: raw.outside === 'hold' ? 'hold' : { percentBp: toBasisPoints(raw.outside) },
  }
}

function normalizeWindow(raw: RawWindow): TimeWindow {
  const days = raw.days.map((d) => (DAY_NAMES as readonly string[]).indexOf(d)).sort((a, b) => a - b)
  return { days, fromMin: toMinutes(raw.from), toMin: toMinutes(raw.to) }
}

function normalizeAnalysis(raw: RawAnalysis | undefined): AnalysisPolicy | undefined {
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
  }
}
