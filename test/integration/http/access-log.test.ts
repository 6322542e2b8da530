import { afterEach, describe, expect, it } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { captureLogger } from '../../helpers/admin.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

describe('per-request access log', () => {
  let dp: TestDataPlane | undefined
  let backend: TestBackend | undefined
  afterEach(async () => { await dp?.close(); await backend?.close() })

  async function run(access: { enabled: boolean; sample: number } | undefined, random?: () => number) {
    backend = await startBackend('old')
    const { logger, lines } = captureLogger()
    dp = await startDataPlane([routeConfig({ name: 'app', old: [backend.url], new: [backend.url] })], {
      logger, ...(access ? { access } : {}), ...(random ? { random } : {}),
    })
    for (let i = 0; i < 10; i++) await (await dp.client.request({ path: `/p/${i}?secret=x`, method: 'GET' })).body.dump()
    await new Promise((r) => setTimeout(r, 50))
    return lines.filter((l) => l.msg === 'request')
  }

  it('is off by default', async () => {
    expect(await run(undefined)).toEqual([])
  })

  it('logs one line per request when on, without the query string', async () => {
    const lines = await run({ enabled: true, sample: 1 })
    expect(lines).toHaveLength(10)
    expect(lines[0]).toMatchObject({ method: 'GET', path: '/p/0', status: 200, route: 'app', side: 'old', servedBy: 'old' })
    expect(JSON.stringify(lines)).not.toContain('secret')
  })

  it('keeps only the sampled share (accessSample), drawn from the injected random source', async () => {
    let i = 0
    const lines = await run({ enabled: true, sample: 0.3 }, () => [0.1, 0.5, 0.9][i++ % 3]!)
    // The random source is used for the no-key decisions too: only the draws below 0.3 log.
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.length).toBeLessThan(10)
  })
})
