import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { formatProblem, loadConfigFile } from '../../../src/config/index.js'

describe('examples/sluice.yaml', () => {
  it('points editors at the shipped schema on its first line', async () => {
    const text = await readFile('examples/sluice.yaml', 'utf8')
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../config/sluice.schema.json')
  })

  it('is valid, with and without its environment variables', async () => {
    for (const env of [{}, { REDIS_URL: 'redis://redis:6379/1', SLUICE_LISTEN: '0.0.0.0:8080' }]) {
      const result = await loadConfigFile('examples/sluice.yaml', env)
      expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([])
    }
  })
})
