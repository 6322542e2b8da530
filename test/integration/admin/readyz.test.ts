import { afterEach, describe, expect, it } from 'vitest'
import { call, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('/healthz and /readyz', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('readyz follows readiness with its checks (503 when not ready); healthz stays 200', async () => {
    admin = await startAdmin()
    expect(await call(admin.base, 'GET', '/readyz')).toMatchObject({ status: 200, json: { status: 'ok' } })

    admin.setReadiness({ ready: false, checks: { config: true, stateStore: false } })

    const ready = await call(admin.base, 'GET', '/readyz')
    expect(ready.status).toBe(503)
    expect(ready.json).toEqual({ status: 'unavailable', checks: { config: true, stateStore: false } })
    expect(await call(admin.base, 'GET', '/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } })
  })
})
