import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/config/index.js'

describe('normalize: the Config is deep-frozen', () => {
  it('freezes every object and array', async () => {
    const result = await loadConfigFile('test/fixtures/configs/valid/full.yaml', {})
    if (!result.ok) throw new Error('full.yaml must load')
    const unfrozen: string[] = []
    const visit = (value: unknown, path: string): void => {
      if (value === null || typeof value !== 'object') return
      if (!Object.isFrozen(value)) unfrozen.push(path)
      for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`)
    }
    visit(result.config, 'config')
    expect(unfrozen).toEqual([])
    expect(() => { (result.config.routes as unknown as unknown[]).push({}) }).toThrow(TypeError)
  })
})
