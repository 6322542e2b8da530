import { appendFileSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadConfigFile, sourcesUnchanged, type ConfigSources } from '../../../src/config/index.js'

const CONFIG = `routes:
  - name: checkout
    old: http://127.0.0.1:3001
    new: http://127.0.0.1:3002
    groups:
      beta: { backend: new, users: [alice], usersFile: beta.txt }
`

/** The reload short-circuit: the config file's bytes and the users files' stats, nothing parsed. */
describe('config sources', () => {
  let dir: string
  let config: string
  let users: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-sources-'))
    config = join(dir, 'sluice.yaml')
    users = join(dir, 'beta.txt')
    writeFileSync(config, CONFIG)
    writeFileSync(users, 'bob\ncarol\n')
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  async function sources(): Promise<ConfigSources> {
    const r = await loadConfigFile(config, {})
    if (!r.ok) throw new Error('expected a valid config')
    return r.sources
  }

  it('records the sha256 of the bytes and a stat per users file', async () => {
    const s = await sources()
    expect(s.hash).toMatch(/^[0-9a-f]{64}$/)
    expect([...s.usersFiles.keys()]).toEqual([users])
    expect(s.usersFiles.get(users)?.size).toBe(10n)
    expect(await sourcesUnchanged(config, s)).toBe(true)
  })

  it('the same bytes rewritten (a touch, an identical save) count as unchanged for the config file', async () => {
    const s = await sources()
    writeFileSync(config, CONFIG)
    utimesSync(config, new Date(2030, 0, 1), new Date(2030, 0, 1))
    expect(await sourcesUnchanged(config, s)).toBe(true)
  })

  it('one byte of the config file differs: changed', async () => {
    const s = await sources()
    writeFileSync(config, CONFIG.replace('alice', 'alicf'))
    expect(await sourcesUnchanged(config, s)).toBe(false)
  })

  it('a users file appended to, replaced by rename (same bytes), touched or removed: changed', async () => {
    const edits: Array<() => void> = [
      () => appendFileSync(users, 'dave\n'),
      () => { writeFileSync(join(dir, 'next.txt'), 'bob\ncarol\n'); renameSync(join(dir, 'next.txt'), users) },
      () => utimesSync(users, new Date(2030, 0, 1), new Date(2030, 0, 1)),
      () => rmSync(users),
    ]
    for (const edit of edits) {
      writeFileSync(users, 'bob\ncarol\n')
      const s = await sources()
      edit()
      expect(await sourcesUnchanged(config, s)).toBe(false)
    }
  })

  it('a refused file remembers its missing users file: still missing is unchanged, created is changed', async () => {
    rmSync(users)
    const r = await loadConfigFile(config, {})
    expect(r.ok).toBe(false)
    const s = r.ok ? undefined : r.sources
    expect(s?.usersFiles.get(users)).toBeNull()
    expect(await sourcesUnchanged(config, s!)).toBe(true)
    writeFileSync(users, 'bob\n')
    expect(await sourcesUnchanged(config, s!)).toBe(false)
  })

  it('a config file that cannot be read any more: changed (the full load then says why)', async () => {
    const s = await sources()
    rmSync(config)
    expect(await sourcesUnchanged(config, s)).toBe(false)
  })
})
