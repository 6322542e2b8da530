import { describe, expect, it } from 'vitest'
import { firstRoute } from './load-helper.js'

const BACKENDS = `    old: http://127.0.0.1:3001\n    new: http://127.0.0.1:3002\n`

describe('normalize: integer units', () => {
  it('turns durations into milliseconds', async () => {
    const route = await firstRoute(`  - name: a\n${BACKENDS}    timeouts: { connect: 250ms, header: 1.5s, idle: 2h }\n    rollout: { steps: [100], interval: 1d }\n`)
    expect(route.timeouts).toEqual({ connectMs: 250, headerMs: 1500, idleMs: 7_200_000 })
    expect(route.rollout?.intervalMs).toBe(86_400_000)
  })

  // Ajv's multipleOf: 0.01 rejects 0.29, 0.07 and 33.33 through float error: the reason the
  // two-decimal rule is a semantic check. Pin that these load, and to the exact basis points.
  it.each([
    [0.29, 29], [0.07, 7], [33.33, 3333], [0.01, 1], [99.99, 9999], [100, 10000], [0, 0], [12.5, 1250],
  ])('percent %d is %d basis points', async (percent, bp) => {
    const route = await firstRoute(`  - name: a\n${BACKENDS}    percent: ${percent}\n`)
    expect(route.percentBp).toBe(bp)
  })

  it('turns steps and the outside percent into basis points, days into 0..6, times into minutes', async () => {
    const route = await firstRoute(`  - name: a\n${BACKENDS}    rollout:
      steps: [0.5, 33.33, 100]
      schedule:
        timezone: europe/berlin
        windows: [{ days: [sun, sat, mon], from: "22:30", to: "24:00" }]
        outside: 2.5
`)
    expect(route.rollout?.stepsBp).toEqual([50, 3333, 10000])
    expect(route.rollout?.schedule).toEqual({
      timezone: 'Europe/Berlin', // the canonical IANA spelling
      windows: [{ days: [0, 1, 6], fromMin: 1350, toMin: 1440 }],
      outside: { percentBp: 250 },
    })
  })

  it('reduces backend URLs to origins and lower-cases the match host', async () => {
    const route = await firstRoute(`  - name: a
    match: { host: Shop.EXAMPLE.com }
    old: [HTTP://Old.Example.com:80/, https://10.0.0.1:8443]
    new: http://[::1]:3000
`)
    expect(route.old).toEqual(['http://old.example.com', 'https://10.0.0.1:8443'])
    expect(route.new).toEqual(['http://[::1]:3000'])
    expect(route.match.host).toBe('shop.example.com')
    // A list mixing http and https keeps the client's Host, as before.
    expect(route.transport?.old.host).toEqual({ mode: 'preserve' })
  })

  it('backend objects: Host rule per side (upstream by default when every origin is https), TLS per origin', async () => {
    const route = await firstRoute(`  - name: a
    old: [https://a.example, { url: https://b.example, tls: { servername: b.internal, minVersion: TLSv1.3 } }]
    new: { url: http://10.0.0.1:3000, host: api.example.com }
`)
    expect(route.old).toEqual(['https://a.example', 'https://b.example'])
    expect(route.transport?.old).toEqual({
      host: { mode: 'upstream' },
      tls: [undefined, { ca: undefined, cert: undefined, key: undefined, servername: 'b.internal', minVersion: 'TLSv1.3', rejectUnauthorized: true }],
    })
    expect(route.transport?.new).toEqual({ host: { mode: 'fixed', value: 'api.example.com' }, tls: [undefined] })
  })
})
