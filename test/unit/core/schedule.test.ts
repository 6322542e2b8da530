import { describe, expect, it } from 'vitest'
import type { SchedulePolicy } from '../../../src/config/types.js'
import { localTime, nextChange, windowOpen } from '../../../src/core/schedule.js'

const WEEKDAYS = [1, 2, 3, 4, 5]
const berlinOffice: SchedulePolicy = {
  timezone: 'Europe/Berlin', outside: 'hold',
  windows: [{ days: WEEKDAYS, fromMin: 9 * 60, toMin: 17 * 60 }],
}
const iso = (s: string) => Date.parse(s)

describe('schedule windows', () => {
  it('reads local time in the zone (CET in winter, CEST in summer)', () => {
    expect(localTime('Europe/Berlin', iso('2026-01-05T08:00:00Z'))).toMatchObject({ day: 1, minute: 9 * 60 })
    expect(localTime('Europe/Berlin', iso('2026-07-06T08:00:00Z'))).toMatchObject({ day: 1, minute: 10 * 60 })
  })

  it('is open on weekdays 09:00–17:00 local, closed at 17:00 and at weekends', () => {
    expect(windowOpen(berlinOffice, iso('2026-01-05T07:59:00Z'))).toBe(false) // Mon 08:59 CET
    expect(windowOpen(berlinOffice, iso('2026-01-05T08:00:00Z'))).toBe(true) // Mon 09:00
    expect(windowOpen(berlinOffice, iso('2026-01-05T15:59:00Z'))).toBe(true) // Mon 16:59
    expect(windowOpen(berlinOffice, iso('2026-01-05T16:00:00Z'))).toBe(false) // Mon 17:00
    expect(windowOpen(berlinOffice, iso('2026-01-10T10:00:00Z'))).toBe(false) // Saturday
  })

  it('follows DST in Europe/Berlin: 09:00 local is 08:00Z in winter and 07:00Z in summer', () => {
    // Last Sunday of March 2026 is the 29th; Monday the 30th is CEST.
    expect(windowOpen(berlinOffice, iso('2026-03-27T07:30:00Z'))).toBe(false) // Fri 08:30 CET
    expect(windowOpen(berlinOffice, iso('2026-03-30T07:30:00Z'))).toBe(true) // Mon 09:30 CEST
    // Back to CET on 25 October 2026.
    expect(windowOpen(berlinOffice, iso('2026-10-23T15:30:00Z'))).toBe(false) // Fri 17:30 CEST
    expect(windowOpen(berlinOffice, iso('2026-10-26T15:30:00Z'))).toBe(true) // Mon 16:30 CET
  })

  it('follows DST in America/New_York (second Sunday of March, first Sunday of November)', () => {
    const ny: SchedulePolicy = { ...berlinOffice, timezone: 'America/New_York' }
    expect(windowOpen(ny, iso('2026-03-06T13:30:00Z'))).toBe(false) // Fri 08:30 EST
    expect(windowOpen(ny, iso('2026-03-09T13:30:00Z'))).toBe(true) // Mon 09:30 EDT
    expect(windowOpen(ny, iso('2026-11-02T21:30:00Z'))).toBe(true) // Mon 16:30 EST
    expect(windowOpen(ny, iso('2026-10-30T21:30:00Z'))).toBe(false) // Fri 17:30 EDT
  })

  it('handles a window across midnight (Fri 22:00 → Sat 02:00)', () => {
    const night: SchedulePolicy = { timezone: 'UTC', outside: 'hold', windows: [{ days: [5], fromMin: 22 * 60, toMin: 2 * 60 }] }
    expect(windowOpen(night, iso('2026-01-09T21:59:00Z'))).toBe(false) // Fri 21:59
    expect(windowOpen(night, iso('2026-01-09T22:00:00Z'))).toBe(true) // Fri 22:00
    expect(windowOpen(night, iso('2026-01-10T01:59:00Z'))).toBe(true) // Sat 01:59, the Friday window
    expect(windowOpen(night, iso('2026-01-10T02:00:00Z'))).toBe(false)
    expect(windowOpen(night, iso('2026-01-10T23:00:00Z'))).toBe(false) // Sat 23:00: Saturday is not listed
  })

  it('no schedule or no windows means always open', () => {
    expect(windowOpen(undefined, 0)).toBe(true)
    expect(windowOpen({ timezone: 'UTC', outside: 'hold', windows: [] }, 0)).toBe(true)
  })

  it('finds the next opening and closing to the minute, across a weekend and a DST change', () => {
    // Friday 17:30 CET → next opening Monday 09:00 CET.
    expect(new Date(nextChange(berlinOffice, iso('2026-01-09T16:30:00Z'))!).toISOString()).toBe('2026-01-12T08:00:00.000Z')
    // Inside the window: the next change is today's 17:00.
    expect(new Date(nextChange(berlinOffice, iso('2026-01-12T10:00:00Z'))!).toISOString()).toBe('2026-01-12T16:00:00.000Z')
    // Friday 27 March 2026, 18:00 CET → Monday 30 March 09:00 CEST = 07:00Z.
    expect(new Date(nextChange(berlinOffice, iso('2026-03-27T17:00:00Z'))!).toISOString()).toBe('2026-03-30T07:00:00.000Z')
    expect(nextChange(undefined, 0)).toBeUndefined()
  })
})
