import { describe, expect, it } from 'vitest'
import { firstRoute, loadProblems } from './load-helper.js'

const route = (analysis: string) => `
  - name: checkout
    old: http://127.0.0.1:3001
    new: http://127.0.0.1:3002
    rollout:
      steps: [10, 100]
      interval: 1m
      analysis: ${analysis}
`

describe('rollout.analysis: alpha and the relative limits', () => {
  it('alpha defaults to 0.05 and takes a smaller budget', async () => {
    expect((await firstRoute(route('{ maxErrorRate: 0.01 }'))).rollout?.analysis?.alpha).toBe(0.05)
    expect((await firstRoute(route('{ maxErrorRate: 0.01, alpha: 0.01 }'))).rollout?.analysis?.alpha).toBe(0.01)
  })

  it('refuses alpha outside (0, 0.5] with the path', async () => {
    for (const bad of ['0', '1', '-0.1']) {
      const problems = await loadProblems(`routes:${route(`{ maxErrorRate: 0.01, alpha: ${bad} }`)}`)
      expect(problems.join('\n')).toMatch(/alpha/)
    }
  })

  it('refuses maxErrorRateVsOld and maxP99VsOld below 1 (a new side better than old cannot be required)', async () => {
    for (const key of ['maxErrorRateVsOld', 'maxP99VsOld']) {
      const problems = await loadProblems(`routes:${route(`{ ${key}: 0.5 }`)}`)
      expect(problems.join('\n')).toMatch(new RegExp(`${key}.*at least 1`))
    }
    expect((await firstRoute(route('{ maxErrorRateVsOld: 1, maxP99VsOld: 1 }'))).rollout?.analysis).toMatchObject({ maxErrorRateVsOld: 1, maxP99VsOld: 1 })
  })
})
