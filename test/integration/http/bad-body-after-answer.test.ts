import { connect } from 'node:net'
import { once } from 'node:events'
import { expect, test } from 'vitest'
import { useOriginPlane } from '../../helpers/dataplane.js'
import { parseResponses } from '../../helpers/strict-response.js'

/**
 * A request sluice answers without reading its body (/_sluice/whoami), whose body then turns out
 * malformed (found by the data-plane fuzzer): the parser error must close the connection, not add a
 * second, unsolicited 400 that a pipelining client would take for the answer to its next request.
 */

const f = useOriginPlane()

test.each([
  ['a bad chunk size', 'zz\r\n'],
  ['chunk data without its CRLF', '3\r\nabcXY'],
])('%s after the answer went out: the connection closes, nothing more is sent', async (_name, bad) => {
  const client = connect(f.dp.port, '127.0.0.1')
  client.on('error', () => {})
  const chunks: Buffer[] = []
  client.on('data', (d: Buffer) => chunks.push(d))
  client.write('GET /_sluice/whoami HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n')
  await until(() => parseResponses(Buffer.concat(chunks), ['GET'], false).responses.length === 1)
  client.write(bad)
  await once(client, 'close')

  const answers = parseResponses(Buffer.concat(chunks), ['GET', 'GET'], true)
  expect(answers.error).toBeUndefined()
  expect(answers.responses.map((r) => r.status)).toEqual([200])
})

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('no answer within 5 s')
    await new Promise((r) => setTimeout(r, 10))
  }
}
