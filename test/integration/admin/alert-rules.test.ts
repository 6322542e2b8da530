import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NO_PROMTOOL_REASON, PROMTOOL } from '../../helpers/tools.js'

const DIR = resolve(import.meta.dirname, '../../../deploy/prometheus')

describe.skipIf(!PROMTOOL)(`shipped alert rules${PROMTOOL ? '' : ` (skipped: ${NO_PROMTOOL_REASON})`}`, () => {
  it('pass promtool check rules', () => {
    const r = spawnSync(PROMTOOL!, ['check', 'rules', 'sluice-alerts.yml'], { cwd: DIR, encoding: 'utf8' })
    expect(r.status, r.stdout + r.stderr).toBe(0)
  })

  it('fire as their unit tests say (promtool test rules): a first rollback from a 0 series, a refused reload, Redis down', () => {
    const r = spawnSync(PROMTOOL!, ['test', 'rules', 'sluice-alerts.test.yml'], { cwd: DIR, encoding: 'utf8' })
    expect(r.status, r.stdout + r.stderr).toBe(0)
  })
})
