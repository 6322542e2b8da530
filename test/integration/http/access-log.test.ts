import { afterEach, describe, expect, it } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { captureLogger } from '../../helpers/admin.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

const REQUESTS = 10

describe('per-request access log', () => {
  let dp: TestDataPlane | undefined
  let backend: TestBackend | undefined
  afterEach(async () => { await dp?.close(); await backend?.close() })

  async function run(access: { enabled: boolean; sample: number } | undefined, random?: () => number) {
    backend = await startBackend('old')
    const { logger, lines } = captureLogger()
    // A sticky key on every request: the decision is the hash, so the injected random source is
    // drawn by the access-log sampler only, once per request, in request order.
    dp = await startDataPlane([routeConfig({ name: 'app', old: [backend.url], new: [backend.url], sticky: [{ kind: 'header', name: 'x-user-id' }] })], {
      logger, ...(access ? { access } : {}), ...(random ? { random } : {}),
    })
    for (let i = 0; i < REQUESTS; i++) {
      await (await dp.client.request({ path: `/p/${i}?secret=x`, method: 'GET', headers: { 'x-user-id': `u${i}` } })).body.dump()
    }
    // The access line is written in the same synchronous step that publishes the request's outcome
    // (the response's 'close'), and the captured logger writes synchronously: once every outcome is
    // in, every line that will ever be logged is logged. No sleep, and "nothing logged" is final.
    await waitForOutcomes(dp, REQUESTS)
    return lines.filter((l) => l.msg === 'request')
  }

  it('is off by default', async () => {
    expect(await run(undefined)).toEqual([])
  })

  it('logs one line per request when on, without the query string', async () => {
    const lines = await run({ enabled: true, sample: 1 })
    expect(lines).toHaveLength(REQUESTS)
    expect(lines.map((l) => l.path)).toEqual(Array.from({ length: REQUESTS }, (_, i) => `/p/${i}`))
    expect(lines[0]).toMatchObject({ method: 'GET', path: '/p/0', status: 200, route: 'app', side: 'old', servedBy: 'old' })
    expect(JSON.stringify(lines)).not.toContain('secret')
  })

  it('keeps only the sampled share (accessSample), drawn from the injected random source', async () => {
    let i = 0
    const draws = [0.1, 0.5, 0.9]
    const lines = await run({ enabled: true, sample: 0.3 }, () => draws[i++ % 3]!)
    // Draws 0.1, 0.5, 0.9, 0.1, …: only those below 0.3 log, i.e. requests 0, 3, 6 and 9.
    expect(lines.map((l) => l.path)).toEqual(['/p/0', '/p/3', '/p/6', '/p/9'])
    expect(i).toBe(REQUESTS)
  })
})
