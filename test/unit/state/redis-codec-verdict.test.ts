import { describe, expect, it } from 'vitest'
import { decodeLive, encodeLive } from '../../../src/state/redis/codec.js'
import { asLastVerdict, type TargetLive } from '../../../src/state/store.js'
import { storedVerdict } from '../../contract/state-store.contract.js'

const base: Omit<TargetLive, 'version'> = { percentBp: 3300, state: 'progressing', step: 1, filePercentBp: 1000, updatedAt: 5 }

describe('the Redis codec and the last verdict', () => {
  it('round-trips a verdict with fields the store does not know, unchanged', () => {
    const lastVerdict = storedVerdict()
    const decoded = decodeLive(4, encodeLive({ ...base, lastVerdict }))
    expect(decoded).toEqual({ ...base, lastVerdict, version: 4 })
    expect(JSON.stringify(decoded?.lastVerdict)).toBe(JSON.stringify(lastVerdict))
  })

  it('drops a malformed verdict but keeps the percent and state it came with', () => {
    for (const bad of ['pass', 42, null, [], { kind: 'pass' }, { kind: 'pass', at: 'yesterday' }]) {
      const data = JSON.stringify({ ...base, lastVerdict: bad })
      const decoded = decodeLive(2, data)
      expect(decoded).toEqual({ ...base, version: 2 })
      expect(decoded && 'lastVerdict' in decoded).toBe(false)
    }
  })

  it('asLastVerdict checks only the stamp the store adds', () => {
    expect(asLastVerdict({ at: 1, anything: { goes: true } })).toEqual({ at: 1, anything: { goes: true } })
    expect(asLastVerdict({ at: Number.NaN })).toBeUndefined()
    expect(asLastVerdict(undefined)).toBeUndefined()
  })
})
