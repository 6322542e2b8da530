import { describe, expect, it } from 'vitest'
import { decodeChunk, encodeChunk, type GoalChunk } from '../../../src/state/goal-log.js'

describe('goal log chunks', () => {
  const chunk: GoalChunk = {
    stepStart: 1_764_000_000_123,
    exposed: { old: [1, 0xffffffff, 42], new: [7] },
    conversions: [
      { goal: 'purchase', side: 'old', keyHash: 42, value: 59.9 },
      { goal: 'support', side: 'new', keyHash: 7, value: 0 },
      { goal: 'purchase', side: 'new', keyHash: 7, value: -3.5 },
    ],
  }

  it('round-trips: 4 bytes per exposed key, 14 per event, plus a small header', () => {
    const buf = encodeChunk(chunk)
    expect(decodeChunk(buf)).toEqual(chunk)
    const header = 1 + 8 + 12 + 1 + (1 + 'purchase'.length) + (1 + 'support'.length)
    expect(buf.length).toBe(header + 4 * 4 + 14 * 3)
    const empty = { stepStart: 0, exposed: { old: [], new: [] }, conversions: [] }
    expect(decodeChunk(encodeChunk(empty))).toEqual({ stepStart: 0, exposed: { old: [], new: [] }, conversions: [] })
  })

  it('refuses what it did not write: truncated, another version, garbage', () => {
    const buf = encodeChunk(chunk)
    expect(decodeChunk(buf.subarray(0, buf.length - 1))).toBeUndefined()
    expect(decodeChunk(Buffer.concat([buf, Buffer.from([0])]))).toBeUndefined()
    const other = Buffer.from(buf)
    other[0] = 2
    expect(decodeChunk(other)).toBeUndefined()
    expect(decodeChunk(Buffer.from('{"json": true}'))).toBeUndefined()
    expect(decodeChunk(Buffer.alloc(0))).toBeUndefined()
  })
})
