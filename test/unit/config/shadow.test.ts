import { describe, expect, it } from 'vitest'
import { firstRoute, loadOk, loadProblems, ROUTE } from './load-helper.js'

const withShadow = (block: string) => `${ROUTE}    shadow:\n${block}`

describe('route shadow block (README "Shadow traffic")', () => {
  it('is absent by default, and takes the documented defaults', async () => {
    expect((await firstRoute(ROUTE)).shadow).toBeUndefined()
    expect((await firstRoute(withShadow('      percent: 25\n'))).shadow).toEqual({
      percentBp: 2_500, methods: ['GET', 'HEAD'], maxBodyBytes: 1_048_576, maxConcurrent: 64,
      compare: { headers: [], ignoreJson: [] },
    })
  })

  it('takes methods, sizes, concurrency and comparison rules', async () => {
    const route = await firstRoute(withShadow(`      percent: 100
      methods: [get, POST]
      maxBodyBytes: 64KiB
      maxConcurrent: 8
      compare: { headers: [Content-Type], ignoreJson: [$.timestamp, "$.items[*].id"] }
`))
    expect(route.shadow).toEqual({
      percentBp: 10_000, methods: ['GET', 'POST'], maxBodyBytes: 65_536, maxConcurrent: 8,
      compare: { headers: ['content-type'], ignoreJson: ['$.timestamp', '$.items[*].id'] },
    })
    expect((await firstRoute(withShadow('      maxBodyBytes: 2048\n'))).shadow?.maxBodyBytes).toBe(2048)
  })

  it('refuses bad values, each at its line', async () => {
    const text = (await loadProblems(`routes:${withShadow(`      percent: 12.345
      methods: [GET, "BAD METHOD"]
      maxBodyBytes: 1 MB
      maxConcurrent: 0
      compare:
        headers: ["bad header"]
        ignoreJson: [$.ok, "items[0]", "$..id"]
      extra: 1
`)}`)).join('\n')
    expect(text).toMatch(/^test\.yaml:6:\d+: routes\.0\.shadow\.percent: 12\.345 has more than two decimals/m)
    expect(text).toMatch(/^test\.yaml:7:\d+: routes\.0\.shadow\.methods\.1/m)
    expect(text).toMatch(/^test\.yaml:8:\d+: routes\.0\.shadow\.maxBodyBytes/m)
    expect(text).toMatch(/^test\.yaml:9:\d+: routes\.0\.shadow\.maxConcurrent/m)
    expect(text).toMatch(/^test\.yaml:11:\d+: routes\.0\.shadow\.compare\.headers\.0/m)
    expect(text).toMatch(/^test\.yaml:12:\d+: routes\.0\.shadow\.compare\.ignoreJson\.1: 'items\[0\]' must start with \$/m)
    expect(text).toMatch(/^test\.yaml:12:\d+: routes\.0\.shadow\.compare\.ignoreJson\.2: .*recursive descent/m)
    expect(text).toMatch(/routes\.0\.shadow.*extra/m)
  })

  it('maxMismatchRate is an analysis check of routes with shadow only', async () => {
    const analysis = '    rollout: { steps: [5, 100], analysis: { maxMismatchRate: 0.01 } }\n'
    const ok = await loadOk(`routes:${ROUTE}${analysis}    shadow: { percent: 100 }\n`)
    expect(ok.routes[0]!.rollout?.analysis?.maxMismatchRate).toBe(0.01)
    expect(await loadProblems(`routes:${ROUTE}${analysis}`)).toEqual([
      expect.stringMatching(/^test\.yaml:5:\d+: routes\.0\.rollout\.analysis\.maxMismatchRate: needs shadow traffic/),
    ])
    const queue = `queues:
  - name: jobs
    old: { type: redis-list, url: redis://127.0.0.1:6379, key: a }
    new: { type: redis-list, url: redis://127.0.0.1:6379, key: b }
    rollout: { steps: [5, 100], analysis: { maxMismatchRate: 0.01 } }
`
    expect(await loadProblems(queue)).toEqual([expect.stringMatching(/queues\.0\.rollout\.analysis\.maxMismatchRate: applies to routes with shadow traffic only/)])
  })
})
