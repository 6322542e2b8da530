import { describe, expect, it } from 'vitest'
import { describeTarget } from '../../../src/control/status.js'
import { queueConfig, routeConfig } from '../../helpers/admin.js'

const rollout = { stepsBp: [100, 500, 1000], intervalMs: 600_000, schedule: undefined, analysis: undefined }

describe('describeTarget', () => {
  it('gives the PRODUCT.md ROUTE shape with percents (not basis points) and live values', () => {
    const cfg = routeConfig('checkout', {
      percentBp: 0, rollout, old: ['http://user:pw@10.0.0.1:3000'],
      groups: [{ name: 'beta', backend: 'new', key: undefined, users: ['a', 'b'], usersFile: undefined }],
    })
    const json = describeTarget('route', cfg, { percentBp: 733, state: 'progressing', step: 1, filePercentBp: 0, updatedAt: Date.UTC(2026, 4, 4), version: 3 })

    expect(json).toMatchObject({
      name: 'checkout', kind: 'route', percent: 7.33, state: 'progressing', step: 1, steps: [1, 5, 10],
      nextStepAt: null, windowOpen: null, groups: { beta: 2 }, lastVerdict: null,
      updatedAt: '2026-05-04T00:00:00.000Z', old: ['http://10.0.0.1:3000'],
    })
    expect(JSON.stringify(json)).not.toContain('pw')
  })

  it('shows a queue without its endpoint URLs (they may hold passwords)', () => {
    const json = describeTarget('queue', queueConfig('emails', { percentBp: 1000 }), undefined)

    expect(json).toMatchObject({ name: 'emails', kind: 'queue', percent: 10, state: 'manual', step: -1, steps: [], source: { type: 'redis-list' } })
    expect(JSON.stringify(json)).not.toContain('secret')
  })
})
