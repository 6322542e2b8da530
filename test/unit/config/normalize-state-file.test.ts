import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/config/index.js'

describe('normalize: paths relative to the config file', () => {
  it("resolves state.file against the config file's directory, not the working directory", async () => {
    const result = await loadConfigFile('test/fixtures/configs/valid/state-file.yaml', {})
    expect(result.ok && result.config.state.file).toBe(join(process.cwd(), 'test/fixtures/configs/valid/data/sluice-state.json'))
    expect(result.ok && result.config.file).toBe(join(process.cwd(), 'test/fixtures/configs/valid/state-file.yaml'))
  })
})
