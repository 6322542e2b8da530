import type { SchedulePolicy, TimeWindow } from '../config/types.js'

/**
 * "May the percent go up now?" for a rollout schedule: weekly windows in an IANA timezone,
 * DST-correct because local time is read through Intl, never computed from a fixed offset.
 * Pure: the caller passes the time.
 */

const MIN_PER_DAY = 1440
const MS_PER_MIN = 60_000
const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 }

/** Local wall-clock reading of an instant in a timezone. */
export interface LocalTime {
  readonly day: number // 0 = Sunday
  readonly minute: number // minutes after local midnight
  readonly year: number
  readonly month: number // 1..12
  readonly date: number // 1..31
}

// Building an Intl.DateTimeFormat costs tens of microseconds: keep one per timezone.
const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', weekday: 'short',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    })
    formatters.set(timezone, f)
  }
  return f
}

export function localTime(timezone: string, atMs: number): LocalTime {
  const parts: Record<string, string> = {}
  for (const p of formatter(timezone).formatToParts(atMs)) parts[p.type] = p.value
  return {
    day: WEEKDAYS[parts.weekday ?? 'Sun'] ?? 0,
    minute: Number(parts.hour) * 60 + Number(parts.minute),
    year: Number(parts.year),
    month: Number(parts.month),
    date: Number(parts.day),
  }
}

/** Is `w` open at this local time? A window whose `to` is not after `from` crosses midnight. */
export function inWindow(w: TimeWindow, t: LocalTime): boolean {
  if (w.fromMin === w.toMin) return w.days.includes(t.day) // a whole day
  if (w.fromMin < w.toMin) return w.days.includes(t.day) && t.minute >= w.fromMin && t.minute < w.toMin
  const yesterday = (t.day + 6) % 7
  return (w.days.includes(t.day) && t.minute >= w.fromMin) || (w.days.includes(yesterday) && t.minute < w.toMin)
}

/** True when any window is open at `atMs`; a policy without windows is always open. */
export function windowOpen(schedule: SchedulePolicy | undefined, atMs: number): boolean {
  if (!schedule || schedule.windows.length === 0) return true
  const t = localTime(schedule.timezone, atMs)
  return schedule.windows.some((w) => inWindow(w, t))
}

/**
 * The next instant at or after `atMs` when the window state differs from now (a window opens, or
 * the open one closes), or undefined when it never changes. Scans minute boundaries in coarse
 * steps, then narrows down, so DST shifts are handled by the same Intl reading as windowOpen.
 */
export function nextChange(schedule: SchedulePolicy | undefined, atMs: number): number | undefined {
  if (!schedule || schedule.windows.length === 0) return undefined
  const start = Math.floor(atMs / MS_PER_MIN) * MS_PER_MIN
  const now = windowOpen(schedule, atMs)
  // Every window boundary in a valid config is a whole minute: 15-minute probes, then a bisection.
  const step = 15 * MS_PER_MIN
  for (let t = start + step; t <= start + 8 * MIN_PER_DAY * MS_PER_MIN; t += step) {
    if (windowOpen(schedule, t) !== now) return bisect(schedule, t - step, t, now)
  }
  return undefined
}

function bisect(schedule: SchedulePolicy, lo: number, hi: number, state: boolean): number {
  // Invariant: windowOpen(lo) === state, windowOpen(hi) !== state; both whole minutes.
  while (hi - lo > MS_PER_MIN) {
    const mid = lo + Math.floor((hi - lo) / 2 / MS_PER_MIN) * MS_PER_MIN
    if (windowOpen(schedule, mid) === state) lo = mid
    else hi = mid
  }
  return hi
}
