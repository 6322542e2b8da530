import { afterEach, describe, expect, it } from 'vitest'
import { call, routeConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('GET / (dashboard)', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('shows every route with its live percent, state, step and latest events, escaped, with no token needed', async () => {
    const rollout = { stepsBp: [100, 500, 10_000], intervalMs: 60_000, schedule: undefined, analysis: undefined }
    admin = await startAdmin({ token: 't', routes: [routeConfig('checkout', { percentBp: 250 }), routeConfig('search', { rollout })] })
    await admin.commands.setPercent({ kind: 'route', name: 'checkout' }, 1000, { actor: 'admin', reason: 'ramp <b>up</b>' })

    const res = await call(admin.base, 'GET', '/')

    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.text).toMatch(/<h2>checkout <small>route<\/small> <span class="state">manual<\/span><\/h2>/)
    expect(res.text).toContain('<b>10%</b> to new')
    expect(res.text).toMatch(/<h2>search <small>route<\/small> <span class="state">progressing<\/span>/)
    expect(res.text).toContain('step 0/3 (1 → 5 → 100 %)')
    // The history event is there, and operator text is escaped.
    expect(res.text).toContain('<td>admin</td><td>2.5% manual</td><td>10% manual</td><td>ramp &#60;b&#62;up&#60;/b&#62;</td>')
    expect(res.text).not.toContain('<b>up</b>')
  })
})
