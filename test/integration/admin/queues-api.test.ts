import { afterEach, describe, expect, it } from 'vitest'
import { call, queueConfig, startAdmin, type AdminHarness } from '../../helpers/admin.js'

describe('/api/queues', () => {
  let admin: AdminHarness | undefined
  afterEach(async () => { await admin?.close(); admin = undefined })

  it('lists queues, shows one, sets its percent and keeps its history, without endpoint secrets', async () => {
    admin = await startAdmin({ queues: [queueConfig('emails', { percentBp: 1000 })] })

    const list = await call(admin.base, 'GET', '/api/queues')
    expect(list.json).toMatchObject({ queues: [{ name: 'emails', kind: 'queue', percent: 10, state: 'manual' }] })
    expect(list.text).not.toContain('secret')

    const put = await call(admin.base, 'PUT', '/api/queues/emails/percent', { body: { percent: 50 } })
    expect(put).toMatchObject({ status: 200, json: { name: 'emails', percent: 50 } })
    expect((await call(admin.base, 'GET', '/api/queues/emails')).json).toMatchObject({ percent: 50 })
    expect((await call(admin.base, 'GET', '/api/queues/emails/history')).json).toMatchObject({
      events: [{ actor: 'admin', from: { percent: 10 }, to: { percent: 50 } }],
    })
  })
})
