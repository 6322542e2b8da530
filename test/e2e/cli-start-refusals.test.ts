import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../helpers/sluice-process.js'

describe('sluice start refuses unsafe or invalid configs', () => {
  let dir = ''
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'sluice-refuse-')) })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const write = (yaml: string) => {
    const file = join(dir, 'sluice.yaml')
    writeFileSync(file, yaml)
    return file
  }

  it('a non-loopback admin address without a token is refused', async () => {
    const file = write(`listen: 127.0.0.1:0
admin: { listen: 0.0.0.0:0 }
routes:
  - { name: a, old: http://127.0.0.1:9, new: http://127.0.0.1:9 }
`)
    const r = await runCli(['start', '--config', file], { SLUICE_ADMIN_TOKEN: '' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('SLUICE_ERR_ADMIN_INSECURE')
    expect(r.stderr).toMatch(/token/)
  })

  it('an invalid file is refused with FILE:LINE:COL lines', async () => {
    const file = write(`listen: 127.0.0.1:0
routes:
  - name: a
    old: http://127.0.0.1:9
    new: http://127.0.0.1:9
    percent: 200
`)
    const r = await runCli(['start', '--config', file])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:14: routes\\.0\\.percent: `))
  })
})
