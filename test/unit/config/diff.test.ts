import { describe, expect, it } from 'vitest'
import { diffFileIntent, type Config } from '../../../src/config/index.js'
import { loadOk } from './load-helper.js'

const file = (checkout: number, extra = ''): Promise<Config> => loadOk(`
routes:
  - { name: checkout, old: "http://127.0.0.1:1", new: "http://127.0.0.1:2", percent: ${checkout} }
  - { name: search, old: "http://127.0.0.1:1", new: "http://127.0.0.1:2", percent: 5 }
${extra}`)

const QUEUE = `queues:
  - name: emails
    source: { type: redis-list, url: "redis://127.0.0.1:6379", key: a }
    old: { type: redis-list, url: "redis://127.0.0.1:6379", key: b }
    new: { type: redis-list, url: "redis://127.0.0.1:6379", key: c }
    percent: 1
`

describe('diffFileIntent (the reload rule)', () => {
  it('counts every target as added and changed on the first load', async () => {
    const diff = diffFileIntent(undefined, await file(10, QUEUE))
    expect([...diff.targets.values()]).toEqual([
      { kind: 'route', name: 'checkout', added: true, percentChanged: true, percentBp: 1000 },
      { kind: 'route', name: 'search', added: true, percentChanged: true, percentBp: 500 },
      { kind: 'queue', name: 'emails', added: true, percentChanged: true, percentBp: 100 },
    ])
    expect(diff.removed).toEqual([])
  })

  it("marks only the targets whose file percent changed, so an unrelated reload keeps live percents", async () => {
    const diff = diffFileIntent(await file(10), await file(20))
    expect(diff.targets.get('route/checkout')).toEqual({ kind: 'route', name: 'checkout', added: false, percentChanged: true, percentBp: 2000 })
    expect(diff.targets.get('route/search')?.percentChanged).toBe(false)
  })

  it('reports nothing changed when the same file is loaded again', async () => {
    const diff = diffFileIntent(await file(10, QUEUE), await file(10, QUEUE))
    expect([...diff.targets.values()].filter((t) => t.percentChanged || t.added)).toEqual([])
  })

  it('lists targets that left the file, and counts new ones as changed', async () => {
    const diff = diffFileIntent(await file(10, QUEUE), await file(10))
    expect(diff.removed).toEqual(['queue/emails'])
    const back = diffFileIntent(await file(10), await file(10, QUEUE))
    expect(back.targets.get('queue/emails')).toMatchObject({ added: true, percentChanged: true })
  })
})
