import { afterEach, describe, expect, it } from 'vitest'
import { createAdminServer } from '../../../src/admin/server.js'
import type { WorkerOutcome } from '../../../src/admin/routes/api.js'
import { call, captureLogger, queueConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('POST /api/queues/NAME/outcomes', () => {
  let admin: AdminHarness | undefined
  let close: (() => Promise<void>) | undefined
  afterEach(async () => { await admin?.close(); await close?.(); admin = undefined; close = undefined })

  it('accepts a batch of worker results (202) and hands them over as parsed', async () => {
    admin = await startAdmin({ queues: [queueConfig('emails')] })
    // startAdmin wires no receiver: build one with a receiver on the same store/commands.
    const got: Array<[string, readonly WorkerOutcome[]]> = []
    const server = createAdminServer({
      listen: { host: '127.0.0.1', port: 0 }, token: undefined, recorder: admin.recorder, commands: admin.commands, store: admin.store,
      targets: () => ({ routes: [], queues: [queueConfig('emails')] }), readiness: () => ({ ready: true, checks: {} }),
      logger: captureLogger().logger, reportOutcomes: (q, o) => got.push([q, o]), groupSizes: () => undefined,
    })
    const addr = await server.listen()
    close = () => server.close()
    const base = `http://127.0.0.1:${addr.port}`
    const ok = await call(base, 'POST', '/api/queues/emails/outcomes', { body: { outcomes: [
      { backend: 'new', ok: false, jobId: 'j1', durationMs: 12 }, { backend: 'old', ok: true },
    ] } })
    expect(ok.status).toBe(202)
    expect(ok.json).toEqual({ accepted: 2 })
    expect(got).toEqual([['emails', [{ backend: 'new', ok: false, durationMs: 12 }, { backend: 'old', ok: true, durationMs: undefined }]]])

    const bad = await call(base, 'POST', '/api/queues/emails/outcomes', { body: { outcomes: [{ backend: 'middle', ok: true }] } })
    expect(bad.status).toBe(400)
    expect(bad.json).toMatchObject({ error: { message: expect.stringContaining('outcomes[0]') } })
    expect((await call(base, 'POST', '/api/queues/nope/outcomes', { body: { outcomes: [] } })).status).toBe(404)
    expect(got).toHaveLength(1)
  })
})
