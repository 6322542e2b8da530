import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { SluiceApp } from '../../../src/app/index.js'

// Count every load that parses the file and every users-file read the reloads do, through the real
// functions. Each such load starts with the fast parse (config/fast-yaml.ts), once; a file with a
// problem is then parsed again, with positions, within the same load.
const calls = vi.hoisted(() => ({ parse: 0, usersFile: 0 }))
vi.mock('../../../src/config/fast-yaml.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/config/fast-yaml.js')>()
  return {
    ...real,
    fastYamlData: (...args: Parameters<typeof real.fastYamlData>) => {
      calls.parse++
      return real.fastYamlData(...args)
    },
  }
})
vi.mock('../../../src/config/users-file.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/config/users-file.js')>()
  return {
    ...real,
    readGroupMembers: (...args: Parameters<typeof real.readGroupMembers>) => {
      calls.usersFile++
      return real.readGroupMembers(...args)
    },
  }
})

const { appConfig, startAppFromFile } = await import('../../helpers/app.js')

const config = (percent: number) => appConfig(`routes:
  - name: app
    old: http://127.0.0.1:9
    new: http://127.0.0.1:9
    percent: ${percent}
    groups:
      beta: { backend: new, users: [alice], usersFile: beta.txt }
`)

/** The 30 s safety-net re-read must cost a hash and a stat, not a parse of everything. */
describe('reload of an unchanged config', () => {
  let dir: string
  let app: SluiceApp
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-reload-unchanged-'))
    writeFileSync(join(dir, 'sluice.yaml'), config(0))
    writeFileSync(join(dir, 'beta.txt'), 'bob\n')
    ;({ app } = await startAppFromFile(join(dir, 'sluice.yaml')))
    calls.parse = 0
    calls.usersFile = 0
  })
  afterEach(async () => {
    await app.shutdown('test')
    rmSync(dir, { recursive: true, force: true })
  })

  it('parses nothing and reads no users file while nothing changed', async () => {
    for (let i = 0; i < 3; i++) expect(await app.reload('poll')).toBe(true)
    expect(calls).toEqual({ parse: 0, usersFile: 0 })
  })

  it('parses again when the users file changed (and applies it), then stops again', async () => {
    appendFileSync(join(dir, 'beta.txt'), 'carol\n')
    expect(await app.reload('poll')).toBe(true)
    expect(calls).toEqual({ parse: 1, usersFile: 1 })
    expect(app.config.routes[0]!.groups[0]!.users).toEqual(['alice', 'bob', 'carol'])
    expect(await app.reload('poll')).toBe(true)
    expect(calls).toEqual({ parse: 1, usersFile: 1 })
  })

  it('parses again when the config bytes changed', async () => {
    writeFileSync(join(dir, 'sluice.yaml'), config(30))
    expect(await app.reload('SIGHUP')).toBe(true)
    expect(calls.parse).toBe(1)
    expect(app.store.get({ kind: 'route', name: 'app' })?.percentBp).toBe(3000)
  })

  it('an invalid file is parsed once; re-reads of the same refused file parse nothing', async () => {
    writeFileSync(join(dir, 'sluice.yaml'), config(150))
    expect(await app.reload('SIGHUP')).toBe(false)
    expect(await app.reload('poll')).toBe(false)
    expect(await app.reload('poll')).toBe(false)
    expect(calls.parse).toBe(1)
    expect(app.config.routes[0]!.percentBp).toBe(0)
    // Put back as it was: nothing to parse, and the reload counts as successful again.
    writeFileSync(join(dir, 'sluice.yaml'), config(0))
    expect(await app.reload('poll')).toBe(true)
    expect(calls.parse).toBe(1)
    expect(await app.recorder.render()).toMatch(/^sluice_config_last_reload_successful 1$/m)
  })

  it('anything thrown while applying the file is a refused reload: resolves false, old config and hash stay, the next reload retries', async () => {
    const apply = vi.spyOn(app.commands, 'applyFileIntent').mockRejectedValueOnce(new TypeError('boom'))
    writeFileSync(join(dir, 'sluice.yaml'), config(30))
    expect(await app.reload('SIGHUP')).toBe(false)
    expect(app.config.routes[0]!.percentBp).toBe(0)
    expect(await app.recorder.render()).toMatch(/^sluice_config_last_reload_successful 0$/m)
    // Not half-switched: the same file is parsed and applied again by the next reload.
    expect(await app.reload('poll')).toBe(true)
    expect(apply).toHaveBeenCalledTimes(2)
    expect(calls.parse).toBe(2)
    expect(app.config.routes[0]!.percentBp).toBe(3000)
    expect(app.store.get({ kind: 'route', name: 'app' })?.percentBp).toBe(3000)
    expect(await app.recorder.render()).toMatch(/^sluice_config_last_reload_successful 1$/m)
  })
})
