import { execFileSync } from 'node:child_process'
import { accessSync, constants, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SluiceProcess, testConfig } from '../helpers/sluice-process.js'

/**
 * What the README's "Install and run as a service" promises, done as an operator would: `npm pack`
 * in the checkout, `npm install --prefix` of the tarball into an empty folder (no checkout around
 * it), the installed `sluice` answering --version and validate, and the shipped systemd unit's
 * ExecStart/ExecReload/stop run against that installation.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const UNIT = join(ROOT, 'deploy/systemd/sluice.service')
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version

function unitValues(unit: string, key: string): string[] {
  return unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1))
}

describe('npm pack → install into an empty folder → run', () => {
  let dir = ''
  let bin = ''

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-pack-'))
    // dist/ is built by `npm test`'s pretest; the tarball holds what `files` lists.
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe' })
    execFileSync('npm', ['install', '--prefix', join(dir, 'opt'), join(dir, `sluice-${VERSION}.tgz`), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe' })
    bin = join(dir, 'opt/node_modules/.bin/sluice')
  }, 120_000)
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('the installed sluice answers --version and validates its shipped example', () => {
    expect(execFileSync(bin, ['--version'], { cwd: dir, encoding: 'utf8' }).trim()).toBe(VERSION)
    const example = join(dir, 'opt/node_modules/sluice/examples/sluice.yaml')
    expect(execFileSync(bin, ['validate', '--config', example], { cwd: dir, encoding: 'utf8' })).toContain('valid (')
  })

  it('the systemd unit passes systemd-analyze verify once its ExecStart exists', () => {
    const unit = readFileSync(UNIT, 'utf8').replaceAll('/opt/sluice', join(dir, 'opt'))
    const copy = join(dir, 'sluice.service')
    writeFileSync(copy, unit)
    // verify prints problems and exits non-zero on errors; a clean unit prints nothing.
    const out = execFileSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    expect(out).toBe('')
  })

  it('ExecStart starts the installation, ExecReload (SIGHUP) reloads, SIGTERM stops it cleanly', async () => {
    const unit = readFileSync(UNIT, 'utf8')
    expect(unitValues(unit, 'Restart')).toEqual(['on-failure'])
    expect(unitValues(unit, 'ExecReload')).toEqual(['/bin/kill -HUP $MAINPID'])
    const [execStart] = unitValues(unit, 'ExecStart')
    const [program, ...args] = execStart!.replace('/opt/sluice', join(dir, 'opt')).split(' ')
    accessSync(program!, constants.X_OK)
    expect(args).toEqual(['start', '--config', '/etc/sluice/sluice.yaml'])

    const sluice = new SluiceProcess(testConfig(''), undefined, { cli: realpathSync(program!), cwd: dir })
    try {
      await sluice.start()
      const ready = await fetch(`${sluice.admin}/readyz`)
      expect(ready.status).toBe(200)
      // The installed package serves the dashboard's files (dist/admin/ui and uPlot from its dependencies).
      for (const file of ['/ui/dashboard.js', '/ui/uplot.js']) expect((await fetch(`${sluice.admin}${file}`)).status, file).toBe(200)
      sluice.writeConfig(testConfig('  - { name: checkout, old: "http://127.0.0.1:1", new: "http://127.0.0.1:2" }'))
      sluice.signal('SIGHUP')
      await sluice.waitForLog((l) => l.msg === 'config reloaded')
      sluice.signal('SIGTERM')
      expect(await sluice.exited()).toBe(0)
    } finally {
      await sluice.stop()
    }
  })
})
