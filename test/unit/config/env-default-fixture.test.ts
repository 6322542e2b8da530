import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/config/index.js'

describe('${VAR:-default} in a file', () => {
  it('applies defaults for unset and empty variables and takes set ones', async () => {
    const result = await loadConfigFile('test/fixtures/configs/valid/env-default.yaml', { SLUICE_FIXTURE_SET: 'from-env', SLUICE_FIXTURE_EMPTY: '' })
    if (!result.ok) throw new Error('env-default.yaml must load')
    const { config } = result
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9080 })
    expect(config.admin.token).toBe('from-env')
    expect(config.routes[0]?.old).toEqual(['http://127.0.0.1:3001'])
    expect(config.routes[0]?.new).toEqual(['http://127.0.0.1:3002'])
    expect(config.routes[0]?.percentBp).toBe(1250)
    expect(config.routes[0]?.exposeBackendHeader).toBe(true)
  })
})
