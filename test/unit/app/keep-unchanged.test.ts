import { describe, expect, it } from 'vitest'
import { loadConfigText } from '../../../src/config/index.js'
import type { Config } from '../../../src/config/types.js'
import { keepUnchangedTargets, samePlainData } from '../../../src/app/keep-unchanged.js'

async function config(percent: (i: number) => number, count = 1_200): Promise<Config> {
  let yaml = 'listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nroutes:\n'
  for (let i = 0; i < count; i++) yaml += `  - { name: r${i}, match: { host: r${i}.test }, old: http://127.0.0.1:1, new: http://127.0.0.1:2, percent: ${percent(i)} }\n`
  const loaded = await loadConfigText(yaml, 'sluice.yaml', {})
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
  return loaded.config
}

describe('keepUnchangedTargets', () => {
  it('keeps the running object of every route that did not change, and takes the changed ones', async () => {
    const running = await config(() => 10)
    const next = await config((i) => (i === 700 ? 20 : 10))
    const kept = await keepUnchangedTargets(running, next)
    expect(kept.routes).toHaveLength(1_200)
    expect(kept.routes[0]).toBe(running.routes[0])
    expect(kept.routes[1_199]).toBe(running.routes[1_199])
    expect(kept.routes[700]).toBe(next.routes[700])
    expect(kept.routes[700]!.percentBp).toBe(2_000)
    expect(Object.isFrozen(kept)).toBe(true)
    expect(Object.isFrozen(kept.routes)).toBe(true)
    expect(kept.listen).toEqual(next.listen)
  })

  it('returns the new config itself when nothing can be kept', async () => {
    const running = await config(() => 10, 3)
    const next = await config(() => 30, 3)
    expect(await keepUnchangedTargets(running, next)).toBe(next)
  })

  it('compares config data deeply', () => {
    expect(samePlainData({ a: [1, { b: 'x' }], c: undefined }, { a: [1, { b: 'x' }], c: undefined })).toBe(true)
    expect(samePlainData({ a: [1, { b: 'x' }] }, { a: [1, { b: 'y' }] })).toBe(false)
    expect(samePlainData({ a: undefined }, {})).toBe(false)
    expect(samePlainData([1, 2], [1, 2, 3])).toBe(false)
    expect(samePlainData([], {})).toBe(false)
  })
})
