import { execFile } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import type { Outcome } from '../../../src/observe/events.js'
import { call, queueConfig, routeConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'
import { NO_PROMTOOL_REASON, PROMTOOL } from '../../helpers/tools.js'

/**
 * Only sluice's own families are linted: prom-client's default nodejs_active_*_total gauges fail
 * promtool's "counter names end in _total" rule by themselves.
 */
function sluiceFamilies(text: string): string {
  return text.split('\n').filter((line) => {
    const name = line.startsWith('# ') ? line.split(' ')[2] : line
    return name?.startsWith('sluice_') === true
  }).join('\n') + '\n'
}

function promtoolCheck(input: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(PROMTOOL!, ['check', 'metrics'], (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, output: `${stdout}${stderr}` })
    })
    child.stdin?.end(input)
  })
}

describe.skipIf(!PROMTOOL)(`promtool check metrics${PROMTOOL ? '' : ` (skipped: ${NO_PROMTOOL_REASON})`}`, () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('passes on the sluice_* families of a live /metrics after some outcomes', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout'), routeConfig('search')], queues: [queueConfig('emails')] })
    const o: Outcome = { kind: 'route', name: 'checkout', side: 'new', reason: 'bucket', servedBy: 'new', status: 200, error: undefined, fellBack: false, durationMs: 3 }
    admin.recorder.outcome(o)
    admin.recorder.outcome({ ...o, servedBy: 'old', status: 502, error: 'connect', fellBack: true })
    admin.recorder.outcome({ ...o, status: 0 })
    admin.recorder.outcome({ ...o, kind: 'queue', name: 'emails' })
    admin.recorder.rollback({ kind: 'route', name: 'search' }, 'manual')
    admin.recorder.configReload(true, Date.now())
    await admin.commands.setPercent({ kind: 'route', name: 'checkout' }, 500, { actor: 'admin' })

    const text = sluiceFamilies((await call(admin.base, 'GET', '/metrics')).text)
    expect(text).toContain('# TYPE sluice_requests_total counter')
    const result = await promtoolCheck(text)

    expect(result.code, `promtool said:\n${result.output}`).toBe(0)
  })
})
