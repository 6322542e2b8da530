import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfigFile } from '../../../src/config/index.js'
import { loadOk } from './load-helper.js'

let dir: string | undefined
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
  dir = undefined
})

const CONFIG = `routes:
  - name: checkout
    old: http://127.0.0.1:3001
    new: http://127.0.0.1:3002
    groups:
      beta: { backend: new, users: [alice, bob], usersFile: lists/beta.txt }
`

describe('normalize: usersFile', () => {
  it('merges the file (relative to the config file) into users: trimmed, no blanks, no comments, no duplicates', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-users-'))
    await writeFile(join(dir, 'sluice.yaml'), CONFIG)
    await mkdir(join(dir, 'lists'))
    await writeFile(join(dir, 'lists', 'beta.txt'), '# beta testers\ncarol\n\n   dave  \r\nbob\n  # old: erin\n')
    const result = await loadConfigFile(join(dir, 'sluice.yaml'), {})
    expect(result.ok).toBe(true)
    const group = result.ok ? result.config.routes[0]?.groups[0] : undefined
    expect(group?.users).toEqual(['alice', 'bob', 'carol', 'dave'])
    expect(group?.usersFile).toBe(join(dir, 'lists', 'beta.txt'))
  })

  it('resolves against baseDir for a config given as text', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-users-'))
    await mkdir(join(dir, 'lists'))
    await writeFile(join(dir, 'lists', 'beta.txt'), 'zoe\n')
    const config = await loadOk(CONFIG, {}, dir)
    expect(config.routes[0]?.groups[0]?.users).toEqual(['alice', 'bob', 'zoe'])
  })
})
