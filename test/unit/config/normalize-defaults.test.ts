import { describe, expect, it } from 'vitest'
import { loadOk, ROUTE } from './load-helper.js'

describe('normalize: defaults come from the schema', () => {
  it('fills every top-level default', async () => {
    const config = await loadOk(`routes:${ROUTE}`)
    expect(config.file).toBe('<memory>')
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(config.admin).toEqual({ listen: { host: '127.0.0.1', port: 8081 }, token: undefined, allowedHosts: [] })
    expect(config.state).toEqual({ store: 'memory', file: undefined, redis: undefined, keyPrefix: 'sluice', leaseTtlMs: 15_000 })
    expect(config.queues).toEqual([])
    expect(config.notify).toEqual({ webhooks: [] })
    expect(config.log).toEqual({ level: 'info', access: false, accessSample: 1 })
    expect(config.shutdown).toEqual({ drainDelayMs: 5000, timeoutMs: 25000 })
  })

  it('fills every route default', async () => {
    const [route] = (await loadOk(`routes:${ROUTE}`)).routes
    expect(route).toEqual({
      name: 'checkout',
      match: { host: undefined, pathPrefix: '/' },
      old: ['http://127.0.0.1:3001'],
      new: ['http://127.0.0.1:3002'],
      transport: { old: { host: { mode: 'preserve' }, tls: [undefined] }, new: { host: { mode: 'preserve' }, tls: [undefined] } },
      percentBp: 0,
      sticky: [],
      assignCookie: undefined,
      groups: [],
      optIn: false,
      rollout: undefined,
      goals: [],
      timeouts: { connectMs: 5000, headerMs: 60000, idleMs: 60000 },
      exposeBackendHeader: false,
    })
  })

  it('fills rollout, analysis, window and queue endpoint defaults', async () => {
    const config = await loadOk(`
routes:${ROUTE}    rollout:
      steps: [50, 100]
      schedule: { timezone: UTC, windows: [{ from: "09:00", to: "17:00" }] }
      analysis: { maxP99Ms: 300 }
queues:
  - name: emails
    source: { type: redis-stream, url: redis://127.0.0.1:6379, key: in }
    old: { type: bullmq, url: redis://127.0.0.1:6379, queue: old }
    new: { type: http, url: http://127.0.0.1:9000/jobs }
`)
    expect(config.routes[0]?.rollout).toEqual({
      stepsBp: [5000, 10000],
      intervalMs: 600_000,
      schedule: { timezone: 'UTC', windows: [{ days: [0, 1, 2, 3, 4, 5, 6], fromMin: 540, toMin: 1020 }], outside: 'hold' },
      analysis: {
        windowMs: 60_000, minRequests: 100, maxErrorRate: undefined, maxP99Ms: 300, maxErrorRateVsOld: undefined,
        maxP99VsOld: undefined, failureLimit: 2, alpha: 0.05, metrics: [],
      },
    })
    const queue = config.queues[0]
    expect(queue?.source).toEqual({ type: 'redis-stream', url: 'redis://127.0.0.1:6379', key: 'in', group: 'sluice' })
    expect(queue?.old).toEqual({ type: 'bullmq', url: 'redis://127.0.0.1:6379', queue: 'old', prefix: 'bull', jobName: 'job' })
    expect(queue?.new).toEqual({ type: 'http', url: 'http://127.0.0.1:9000/jobs', timeoutMs: 5000, retries: 3 })
    expect(queue?.percentBp).toBe(0)
    expect(queue?.sticky).toEqual([])
  })
})
