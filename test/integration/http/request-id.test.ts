import { afterEach, describe, expect, it } from 'vitest'
import { captureLogger } from '../../helpers/admin.js'
import { REFUSED_ORIGIN, startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

describe('x-request-id', () => {
  let dp: TestDataPlane | undefined
  let backend: TestBackend | undefined
  afterEach(async () => { await dp?.close(); await backend?.close(); dp = undefined; backend = undefined })

  async function start(old = 'up') {
    backend = await startBackend('old')
    const { logger, lines } = captureLogger()
    dp = await startDataPlane([routeConfig({ name: 'app', old: [old === 'up' ? backend.url : REFUSED_ORIGIN], new: [backend.url] })], { logger, access: { enabled: true, sample: 1 } })
    return lines
  }

  it('forwards the client\'s own id unchanged and logs it', async () => {
    const lines = await start()
    await (await dp!.client.request({ path: '/a', method: 'GET', headers: { 'x-request-id': 'trace-17.abc' } })).body.dump()
    await waitForOutcomes(dp!, 1)
    expect(backend!.requests[0]!.headers['x-request-id']).toBe('trace-17.abc')
    expect(lines.find((l) => l.msg === 'request')?.requestId).toBe('trace-17.abc')
  })

  it('makes one when the client sent none, or an unusable one, and each request gets its own', async () => {
    const lines = await start()
    await (await dp!.client.request({ path: '/a', method: 'GET' })).body.dump()
    await (await dp!.client.request({ path: '/b', method: 'GET', headers: { 'x-request-id': 'x'.repeat(200) } })).body.dump()
    await waitForOutcomes(dp!, 2)
    const ids = backend!.requests.map((r) => r.headers['x-request-id'])
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/)
    expect(new Set(ids).size).toBe(2)
    expect(lines.filter((l) => l.msg === 'request').map((l) => l.requestId)).toEqual(ids)
  })

  it('a second copy from the client is dropped: the origin sees exactly one', async () => {
    await start()
    await (await dp!.client.request({ path: '/a', method: 'GET', headers: ['x-request-id', 'first', 'x-request-id', 'second'] })).body.dump()
    await waitForOutcomes(dp!, 1)
    const raw = backend!.requests[0]!.rawHeaders
    const values = raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === 'x-request-id')
    expect(values).toEqual(['first'])
  })

  it('sluice\'s own error answers carry the id', async () => {
    await start('refused')
    const res = await dp!.client.request({ path: '/a', method: 'GET', headers: { 'x-request-id': 'err-1' } })
    await res.body.dump()
    expect(res.statusCode).toBe(502)
    expect(res.headers['x-request-id']).toBe('err-1')
  })
})
