import { connect } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

/**
 * A response queued behind an unfinished one on a pipelined connection gets no 'close' from Node
 * when the connection dies first (found by the data-plane fuzzer): sluice must still finish the
 * request, abort its upstream leg, publish its outcome and count it out of the in-flight requests.
 */

let origin: TestBackend
let dp: TestDataPlane
const slow: Array<() => void> = []

beforeAll(async () => {
  origin = await startBackend('old', (req, res) => {
    const answer = (): void => { res.end('old') }
    if (req.url === '/slow') slow.push(answer)
    else answer()
  })
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  for (const answer of slow) answer()
  await dp.close()
  await origin.close()
})

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} within 5 s`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

for (const [name, end] of [
  ['the parser refuses a later request', 'GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['the client resets the connection', undefined],
] as const) {
  test(`pipelined requests whose answers are queued are finished when ${name}`, async () => {
    const before = dp.outcomes.length
    const client = connect(dp.port, '127.0.0.1')
    client.on('error', () => {})
    client.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /queued HTTP/1.1\r\nHost: x\r\n\r\nPOST /queued-too HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi')
    await until(() => slow.length > 0 && origin.requests.filter((r) => r.url.startsWith('/queued')).length === 2, 'all three reached the origin')
    if (end !== undefined) client.write(end, 'latin1')
    else client.resetAndDestroy()

    await until(() => dp.plane.inflight() === 0, 'no request in flight')
    const outcomes = await waitForOutcomes(dp, before + 3)
    expect(outcomes.slice(before).map((o) => o.name)).toEqual(['r', 'r', 'r'])
    client.destroy()
  })
}
