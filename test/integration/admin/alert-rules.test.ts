import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
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

describe('shipped alert rules: runbooks', () => {
  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
  const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-')

  it('every alert has a runbook_url pointing at a README section that exists', () => {
    const readme = readFileSync(resolve(DIR, '../../README.md'), 'utf8')
    const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!)))
    const rules = (parse(readFileSync(resolve(DIR, 'sluice-alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; annotations: Record<string, string> }> }> }).groups.flatMap((g) => g.rules)
    expect(rules.map((r) => r.alert)).toContain('SluiceRolloutStalled')
    for (const r of rules) {
      const url = r.annotations.runbook_url
      expect(url, r.alert).toMatch(/^README\.md#/)
      expect(anchors.has(url!.slice('README.md#'.length)), `${r.alert}: ${url}`).toBe(true)
    }
  })
})
