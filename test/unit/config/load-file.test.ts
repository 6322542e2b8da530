import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { formatProblem, loadConfigFile, loadConfigText } from '../../../src/config/index.js'

describe('loading', () => {
  it('reports a missing file at 1:1 under the name the user gave, without throwing', async () => {
    const result = await loadConfigFile('no/such/sluice.yaml', {})
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      'no/such/sluice.yaml:1:1: cannot read the file: ENOENT: no such file or directory',
    ])
  })

  it('reports a directory as unreadable', async () => {
    const result = await loadConfigFile('test/fixtures', {})
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual(['test/fixtures:1:1: cannot read the file: EISDIR: illegal operation on a directory'])
  })

  it('hashes the file text (sha256, before interpolation) so a reload can skip an unchanged file', async () => {
    const file = 'test/fixtures/configs/valid/env-default.yaml'
    const result = await loadConfigFile(file, { SLUICE_FIXTURE_SET: 'token' })
    const expected = createHash('sha256').update(readFileSync(file, 'utf8')).digest('hex')
    expect(result.ok && result.hash).toBe(expected)
  })

  it('labels problems of a text config with the label given', async () => {
    const result = await loadConfigText('listen: nope\n', 'inline-config', {})
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      "inline-config:1:9: listen: 'nope' is not a listen address: use HOST:PORT, like 127.0.0.1:8080 or [::1]:8080",
    ])
  })

  it('places a problem of a one-line file on line 1', async () => {
    const result = await loadConfigText('routes: 5', 'one-line.yaml', {})
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual(['one-line.yaml:1:9: routes: must be a list, not a number (5)'])
  })

  it('keeps problems on the same line in column order', async () => {
    const result = await loadConfigText('log: { level: loud, accessSample: -1, access: 1 }\n', 'x.yaml', {})
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      "x.yaml:1:15: log.level: unknown level 'loud' (expected trace, debug, info, warn, error, fatal, silent)",
      'x.yaml:1:35: log.accessSample: must be at least 0, not -1',
      'x.yaml:1:47: log.access: must be true or false, not a number (1)',
    ])
  })
})
