import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { formatProblem, loadConfigFile } from '../../../src/config/index.js'

/**
 * Every file in test/fixtures/configs/valid must load; every invalid/NAME.yaml must produce exactly
 * the lines in NAME.expected, i.e. what `sluice validate --config test/fixtures/configs/invalid/NAME.yaml`
 * prints from the repository root. Paths stay relative: problems print the path as the user gave it.
 */
const DIR = 'test/fixtures/configs'
/** A fixed environment, so fixtures do not depend on the machine's. */
const FIXTURE_ENV = { SLUICE_FIXTURE_SET: 'from-env', SLUICE_FIXTURE_EMPTY: '' }

const yamlFiles = (sub: string): string[] => readdirSync(join(DIR, sub)).filter((f) => f.endsWith('.yaml')).sort()

describe('valid fixtures', () => {
  it.each(yamlFiles('valid'))('%s loads', async (name) => {
    const result = await loadConfigFile(`${DIR}/valid/${name}`, FIXTURE_ENV)
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([])
  })
})

describe('invalid fixtures', () => {
  it.each(yamlFiles('invalid'))('%s gives the expected lines', async (name) => {
    const file = `${DIR}/invalid/${name}`
    const expected = readFileSync(file.replace(/\.yaml$/, '.expected'), 'utf8').trimEnd().split('\n')
    const result = await loadConfigFile(file, FIXTURE_ENV)
    expect(result.ok ? ['(loaded without problems)'] : result.problems.map(formatProblem)).toEqual(expected)
  })
})
