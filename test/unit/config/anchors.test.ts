import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/config/index.js'

describe('YAML anchors and merge keys', () => {
  it('share blocks between routes, with explicit keys overriding merged ones', async () => {
    const result = await loadConfigFile('test/fixtures/configs/valid/anchors.yaml', {})
    if (!result.ok) throw new Error('anchors.yaml must load')
    const [checkout, search] = result.config.routes
    expect(search?.name).toBe('search')
    expect(search?.old).toEqual(checkout?.old)
    expect(search?.match.pathPrefix).toBe('/search')
    expect(search?.timeouts).toEqual({ connectMs: 1000, headerMs: 5000, idleMs: 5000 })
  })
})
