import { once } from 'node:events'
import { connect } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { parseResponses } from '../../helpers/strict-response.js'

/**
 * `Expect: 100-continue`, alone and pipelined (found by the data-plane fuzzer): a request queued
 * behind an unfinished one must not get its 100 Continue written after its own final head.
 */

let origin: TestBackend
let dp: TestDataPlane
const slow: Array<() => void> = []

beforeAll(async () => {
  origin = await startBackend('old', (req, res) => {
    const answer = (): void => { res.end(`answer to ${req.url}`) }
    req.resume()
    if (req.url === '/slow') slow.push(answer)
    else req.on('end', answer)
  })
  dp = await startDataPlane([routeConfig({ name: 'r', old: [origin.url], new: [origin.url] })])
})

afterAll(async () => {
  for (const answer of slow) answer()
  await dp.close()
  await origin.close()
})

const UPLOAD = 'POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'

test('alone: 100 Continue, then the answer', async () => {
  const { received } = await exchange([UPLOAD], 1)
  const answers = parseResponses(received, ['POST'], true)
  expect(answers.error).toBeUndefined()
  expect(answers.responses.map((r) => [r.interim, r.status, r.body.toString()])).toEqual([[[100], 200, 'answer to /upload']])
})

test('pipelined behind a slow request: two well-formed answers in order, no 100 inside the second', async () => {
  const { received } = await exchange(['GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', UPLOAD], 2, async () => {
    await until(() => origin.requests.some((r) => r.url === '/upload') && slow.length > 0)
    await new Promise((r) => setTimeout(r, 50)) // the upload's answer reaches sluice and is queued
    slow.shift()!()
  })
  const answers = parseResponses(received, ['GET', 'POST'], true)
  expect(answers.error).toBeUndefined()
  expect(answers.responses.map((r) => [r.status, r.body.toString()])).toEqual([[200, 'answer to /slow'], [200, 'answer to /upload']])
})

async function exchange(
  writes: string[], answers: number, meanwhile?: () => Promise<void>,
): Promise<{ received: Buffer }> {
  const client = connect(dp.port, '127.0.0.1')
  client.on('error', () => {})
  const chunks: Buffer[] = []
  client.on('data', (d: Buffer) => chunks.push(d))
  const closed = once(client, 'close')
  await once(client, 'connect')
  client.write(writes.join(''))
  await meanwhile?.()
  await until(() => parseResponses(Buffer.concat(chunks), ['GET', 'POST'], false).responses.length >= answers)
  client.end()
  await closed
  return { received: Buffer.concat(chunks) }
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('not within 5 s')
    await new Promise((r) => setTimeout(r, 10))
  }
}
