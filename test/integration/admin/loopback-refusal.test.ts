import { afterEach, describe, expect, it } from 'vitest'
import { Commands } from '../../../src/control/commands.js'
import { createAdminServer, type AdminDeps } from '../../../src/admin/server.js'
import { createLogger } from '../../../src/observe/log.js'
import { createRecorder } from '../../../src/observe/metrics/recorder.js'
import { MemoryStateStore } from '../../../src/state/memory.js'
import { systemClock } from '../../../src/util/clock.js'
import { call, startAdmin, type AdminHarness } from '../../helpers/admin.js'

function deps(host: string, token: string | undefined): AdminDeps {
  const store = new MemoryStateStore()
  const recorder = createRecorder()
  const logger = createLogger({ level: 'silent' })
  const targets = () => ({ routes: [], queues: [] })
  const commands = new Commands({ store, clock: systemClock, logger, recorder, targets })
  return {
    listen: { host, port: 0 }, token, recorder, commands, store, targets,
    readiness: () => ({ ready: true, checks: {} }), logger, groupSizes: () => undefined,
  }
}

describe('admin listen address without a token', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it.each(['0.0.0.0', '::', '10.1.2.3', 'admin.example.com'])('refuses %s with SLUICE_ERR_ADMIN_INSECURE', (host) => {
    expect(() => createAdminServer(deps(host, undefined))).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_ADMIN_INSECURE' }))
    // An empty token is no token.
    expect(() => createAdminServer(deps(host, ''))).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_ADMIN_INSECURE' }))
  })

  it.each(['127.0.0.1', '127.10.0.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])('accepts loopback %s', (host) => {
    expect(() => createAdminServer(deps(host, undefined))).not.toThrow()
  })

  it('starts on a non-loopback address when a token is set', async () => {
    admin = await startAdmin({ host: '0.0.0.0', token: 't' })
    expect((await call(admin.base, 'GET', '/healthz')).status).toBe(200)
  })
})
