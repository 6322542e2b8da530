import { afterEach, describe, expect, it } from 'vitest'
import { call, routeConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('GET / (minimal page)', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('lists every route with its live percent and state as HTML', async () => {
    admin = await startAdmin({ routes: [routeConfig('checkout', { percentBp: 250 }), routeConfig('search')] })
    await admin.commands.setPercent({ kind: 'route', name: 'search' }, 1000, { actor: 'admin' })

    const res = await call(admin.base, 'GET', '/')

    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.text).toMatch(/<td>checkout<\/td><td>route<\/td><td>2.5%<\/td><td>manual<\/td>/)
    expect(res.text).toMatch(/<td>search<\/td><td>route<\/td><td>10%<\/td>/)
  })
})
