import { describe, expect, it } from 'vitest'
import { loadOk, loadProblems } from './load-helper.js'

const route = (metrics: string) => `
  - name: checkout
    old: http://127.0.0.1:3001
    new: http://127.0.0.1:3002
    rollout:
      steps: [10, 100]
      analysis:
        metrics:
${metrics}`

describe('normalize: metric checks', () => {
  it("resolves each check's server: its own, else the top level; timeouts likewise, else 5 s", async () => {
    const config = await loadOk(`prometheus: { url: 'http://127.0.0.1:9090/', timeout: 2s }
routes:${route(`          - { name: app-errors, query: 'x{v="{{side}}"}', max: 0.02, maxVsOld: 1.5 }
          - { name: latency, query: 'y{v="{{side}}"}', min: 1, prometheus: { url: 'https://prom.example/p', timeout: 800ms } }`)}`)
    expect(config.routes[0]?.rollout?.analysis?.metrics).toEqual([
      { name: 'app-errors', query: 'x{v="{{side}}"}', max: 0.02, min: undefined, maxVsOld: 1.5, minVsOld: undefined, prometheus: { url: 'http://127.0.0.1:9090', timeoutMs: 2000 } },
      { name: 'latency', query: 'y{v="{{side}}"}', max: undefined, min: 1, maxVsOld: undefined, minVsOld: undefined, prometheus: { url: 'https://prom.example/p', timeoutMs: 800 } },
    ])
  })

  it('defaults the timeout to 5 s and accepts a check with only its own server', async () => {
    const config = await loadOk(`routes:${route(`          - { name: app-errors, query: 'x', max: 1, prometheus: { url: 'http://10.0.0.9:9090' } }`)}`)
    expect(config.routes[0]?.rollout?.analysis?.metrics?.[0]?.prometheus).toEqual({ url: 'http://10.0.0.9:9090', timeoutMs: 5000 })
  })

  it('refuses a check without any server, naming its line', async () => {
    const lines = await loadProblems(`routes:${route(`          - { name: app-errors, query: 'x', max: 1 }`)}`)
    expect(lines).toEqual(["test.yaml:9:13: routes.0.rollout.analysis.metrics.0: needs a Prometheus server: set the top-level prometheus.url, or this check's prometheus.url"])
  })
})
