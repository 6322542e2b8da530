import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DURATION_PATTERN, formatDuration, parseDuration } from '../../../src/util/duration.js'

describe('parseDuration', () => {
  it('reads single and compound forms, largest unit first', () => {
    expect(parseDuration('500ms')).toBe(500)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('1.5h')).toBe(5_400_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('2m30s')).toBe(150_000)
    expect(parseDuration('1d')).toBe(86_400_000)
    expect(parseDuration('1d2h3m4s5ms')).toBe(86_400_000 + 7_200_000 + 180_000 + 4000 + 5)
    expect(parseDuration('1m500ms')).toBe(60_500)
  })

  it('refuses units out of order, repeated units, blanks and bare numbers with one message', () => {
    for (const bad of ['', '30', '30s5m', '1m1m', '5 sec', '5S', '1h 30m', 'm', '.5s', '-1s', '1h30']) {
      expect(() => parseDuration(bad), bad).toThrow(/is not a duration: use numbers with units, largest first/)
    }
  })

  it('the schema pattern accepts exactly what parseDuration accepts', () => {
    const re = new RegExp(DURATION_PATTERN)
    const part = fc.tuple(fc.integer({ min: 0, max: 999 }), fc.constantFrom('d', 'h', 'm', 's', 'ms', 'x', ''))
    fc.assert(fc.property(fc.array(part, { maxLength: 4 }), (parts) => {
      const text = parts.map(([n, u]) => `${n}${u}`).join('')
      let parsed = true
      try { parseDuration(text) } catch { parsed = false }
      expect(re.test(text)).toBe(parsed)
    }), { seed: 20261126, numRuns: 2000 })
  })
})

describe('formatDuration', () => {
  it('prints what parseDuration reads back', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 30 * 86_400_000 }), (ms) => {
      const back = parseDuration(formatDuration(ms))
      expect(Math.abs(back - ms)).toBeLessThanOrEqual(500)
    }), { seed: 20261126, numRuns: 2000 })
    expect(formatDuration(5_400_000)).toBe('1h30m')
    expect(formatDuration(599_000)).toBe('9m59s')
  })
})
