import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { startBackend, type TestBackend } from '../helpers/backends.js'
import { parseMetrics, valueOf } from '../helpers/admin.js'
import { CLI, SluiceProcess, testConfig, type LogLine } from '../helpers/sluice-process.js'

const INJECT_FAULTS = pathToFileURL(resolve(import.meta.dirname, 'fixtures/inject-faults.mjs')).href
const FAULT_DURING_START = pathToFileURL(resolve(import.meta.dirname, 'fixtures/fault-during-start.mjs')).href

/** Issue 11: the process-level policy for faults nothing handled, in a real `sluice start`. */
describe('sluice start: an unexpected fault is logged, counted, and sluice keeps serving', () => {
  let backend: TestBackend | undefined
  let sluice: SluiceProcess | undefined
  afterEach(async () => {
    await sluice?.stop()
    await backend?.close()
    sluice = backend = undefined
  })

  it('an unhandled rejection and an uncaught exception after start: both logged with their stack, sluice_internal_errors_total counts them, requests still served', async () => {
    backend = await startBackend('old')
    sluice = await new SluiceProcess(testConfig(`  - { name: app, old: ${backend.url}, new: ${backend.url} }`))
      .start({}, ['--import', INJECT_FAULTS])
    const before = parseMetrics(await (await fetch(`${sluice.admin}/metrics`)).text())
    expect(valueOf(before, 'sluice_internal_errors_total', { source: 'unhandled_rejection' })).toBe(0)

    sluice.signal('SIGUSR2')
    const rejection = await sluice.waitForLog((l) => l.source === 'unhandled_rejection')
    const exception = await sluice.waitForLog((l) => l.source === 'uncaught_exception')

    for (const [line, message] of [[rejection, 'injected-rejection'], [exception, 'injected-exception']] as const) {
      expect(line.level).toBe('error')
      expect(line.msg).toMatch(/keeps serving/)
      const err = (line as LogLine & { err: { message: string; stack: string } }).err
      expect(err.message).toBe(message)
      expect(err.stack).toContain('inject-faults.mjs')
    }
    const res = await fetch(`${sluice.data}/app/hello`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('old')
    const after = parseMetrics(await (await fetch(`${sluice.admin}/metrics`)).text())
    expect(valueOf(after, 'sluice_internal_errors_total', { source: 'unhandled_rejection' })).toBe(1)
    expect(valueOf(after, 'sluice_internal_errors_total', { source: 'uncaught_exception' })).toBe(1)
    // Still a clean citizen: SIGTERM drains and exits 0.
    sluice.signal('SIGTERM')
    expect(await sluice.exited()).toBe(0)
  })

  it('a fault during start is fatal: logged with its stack, exit 1', async () => {
    const sluice = new SluiceProcess(testConfig('  - { name: app, old: http://127.0.0.1:9, new: http://127.0.0.1:9 }'))
    try {
      const r = spawnSync(process.execPath, ['--import', FAULT_DURING_START, CLI, 'start', '--config', sluice.configPath], { encoding: 'utf8', timeout: 20_000 })
      expect(r.status).toBe(1)
      expect(r.stderr).toContain('internal error during start: injected-during-start')
      const fatal = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine & { err?: { stack: string } }).find((l) => l.level === 'fatal')
      expect(fatal).toMatchObject({ source: 'uncaught_exception', msg: expect.stringMatching(/during start/) })
      expect(fatal?.err?.stack).toContain('fault-during-start.mjs')
      expect(r.stdout).not.toContain('sluice started')
    } finally {
      await sluice.stop()
    }
  })
})
