import { describe, expect, it } from 'vitest'
import { firstRoute, loadProblems, ROUTE } from './load-helper.js'

const withGoals = (goals: string) => `${ROUTE}    goals:\n${goals}`

describe('route goals', () => {
  it('are empty by default', async () => {
    expect((await firstRoute(ROUTE)).goals).toEqual([])
  })

  it('take name, better and an optional maxLoss', async () => {
    const route = await firstRoute(withGoals('      - { name: purchase, better: higher, maxLoss: 0.1 }\n      - { name: support-contact, better: lower }\n'))
    expect(route.goals).toEqual([
      { name: 'purchase', better: 'higher', maxLoss: 0.1 },
      { name: 'support-contact', better: 'lower', maxLoss: undefined },
    ])
  })

  it('refuse a bad name, a bad direction, a maxLoss outside (0, 1] and a missing better, each at its line', async () => {
    const lines = await loadProblems(`routes:${withGoals('      - { name: Purchase, better: higher }\n      - { name: refund, better: up }\n      - { name: churn, better: lower, maxLoss: 2 }\n      - { name: visit }\n')}`)
    const text = lines.join('\n')
    expect(text).toMatch(/^test\.yaml:6:\d+: routes\.0\.goals\.0\.name/m)
    expect(text).toMatch(/^test\.yaml:7:\d+: routes\.0\.goals\.1\.better/m)
    expect(text).toMatch(/^test\.yaml:8:\d+: routes\.0\.goals\.2\.maxLoss/m)
    expect(text).toMatch(/^test\.yaml:9:\d+: routes\.0\.goals\.3.*better/m)
  })

  it('refuse two goals of one route with the same name', async () => {
    const lines = await loadProblems(`routes:${withGoals('      - { name: purchase, better: higher }\n      - { name: purchase, better: lower }\n')}`)
    expect(lines).toEqual([expect.stringMatching(/^test\.yaml:7:\d+: routes\.0\.goals\.1\.name: 'purchase' is already a goal of this route/)])
  })
})
