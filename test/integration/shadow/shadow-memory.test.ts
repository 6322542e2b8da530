import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, rssSampler, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * README "Shadow traffic": teeing and comparing keep memory bounded. Both sides answer 100 KB, every
 * request is shadowed, both answers are kept (to maxBodyBytes) and compared byte for byte. The
 * 20,000-request figure of the issue is measured by bench/shadow/run.mjs on a separate process;
 * this run is shorter, in one process with its origins and client (an upper bound on sluice's share).
 */
const REQUESTS = 2_000
const CONNS = 16
const BODY = Buffer.alloc(100 * 1024, 'a')

describe('shadow traffic memory', () => {
  let oldB: TestBackend
  let newB: TestBackend
  let dp: TestDataPlane
  const answer = (_req: IncomingMessage, res: ServerResponse): void => {
    _req.resume()
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length }).end(BODY)
  }

  beforeAll(async () => {
    oldB = await startBackend('old', answer)
    newB = await startBackend('new', answer)
    dp = await startDataPlane([routeConfig({
      name: 'r', old: [oldB.url], new: [newB.url], sticky: [{ kind: 'header', name: 'x-user' }],
      shadow: { percentBp: 10_000, methods: ['GET'], maxBodyBytes: 256 * 1024, maxConcurrent: 64, compare: { headers: [], ignoreJson: [] } },
    })])
  })
  afterAll(async () => {
    await dp.close()
    await Promise.all([oldB.close(), newB.close()])
  })

  async function drive(n: number): Promise<void> {
    let next = 0
    await Promise.all(Array.from({ length: CONNS }, async () => {
      while (next < n) {
        const i = next++
        const res = await dp.client.request({ path: `/big/${i}`, method: 'GET', headers: { 'x-user': `u${i}` } })
        await res.body.dump({ limit: Infinity })
      }
    }))
  }

  it(`${REQUESTS.toLocaleString('en-US')} shadowed 100 KB answers grow RSS by less than 50 MB, all compared`, async () => {
    await drive(200) // warm-up: pools, JIT
    const rss = rssSampler()
    await drive(REQUESTS)
    const stats = dp.plane.shadow.stats('r')!
    await waitFor(() => stats.inflight === 0, { message: 'every shadow call to end' })
    const growthMb = rss.stop() / 1024 / 1024
    console.log(`shadow memory: ${REQUESTS} requests, RSS growth ${growthMb.toFixed(1)} MB`)
    expect(dp.plane.shadow.report('r')).toMatchObject({ matched: REQUESTS + 200, mismatched: 0, errors: 0, skipped: 0 })
    expect(growthMb).toBeLessThan(50)
  })
})
