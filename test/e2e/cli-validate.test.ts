import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from '../helpers/sluice-process.js'

const ROOT = resolve(import.meta.dirname, '../..')
const INVALID = 'test/fixtures/configs/invalid'
const invalid = readdirSync(join(ROOT, INVALID)).filter((f) => f.endsWith('.yaml'))

describe('sluice validate (the built binary)', () => {
  it('exits 0 on the shipped example', async () => {
    const r = await runCli(['validate', '--config', 'examples/sluice.yaml'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })

  it('has invalid fixtures to check', () => {
    expect(invalid.length).toBeGreaterThan(5)
  })

  it.each(invalid)('%s: exit 1 and exactly the expected FILE:LINE:COL lines', async (file) => {
    const path = `${INVALID}/${file}`
    const expected = readFileSync(join(ROOT, path.replace(/\.yaml$/, '.expected')), 'utf8').trimEnd()
    const r = await runCli(['validate', '--config', path], { SLUICE_TEST_UNSET: '' })
    expect(r.code).toBe(1)
    expect(r.stdout.trimEnd()).toBe(expected)
  })

  it('exits 1 with a clear line for a missing file', async () => {
    const r = await runCli(['validate', '--config', 'no/such/file.yaml'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/^no\/such\/file\.yaml:1:1: /)
  })
})
