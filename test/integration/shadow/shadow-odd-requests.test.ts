import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { parseRawResponse, rawExchange, routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * Shadow traffic on the awkward requests real clients send: pipelined, HTTP/1.0, chunked with
 * trailers, expect: 100-continue, bodies abandoned midway, HEAD. Whatever happens, the client gets
 * old's answer, nothing throws outside a request, and every shadow call ends (no maxConcurrent slot
 * is held forever).
 */
describe('shadow traffic with odd requests', () => {
  let oldB: TestBackend
  let newB: TestBackend
  let dp: TestDataPlane
  const crashes: unknown[] = []
  const onCrash = (err: unknown): void => { crashes.push(err) }
  const echo = (name: string) => (req: IncomingMessage, res: ServerResponse): void => {
    let n = 0
    req.on('data', (c: Buffer) => { n += c.length })
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name}:${req.method}:${n}`))
  }

  beforeAll(async () => {
    process.on('uncaughtException', onCrash)
    process.on('unhandledRejection', onCrash)
    oldB = await startBackend('old', echo('old'))
    newB = await startBackend('new', echo('new'))
    dp = await startDataPlane([routeConfig({
      name: 'r', old: [oldB.url], new: [newB.url],
      shadow: { percentBp: 10_000, methods: ['GET', 'HEAD', 'POST', 'PUT'], maxBodyBytes: 4096, maxConcurrent: 64, compare: { headers: [], ignoreJson: [] } },
    })])
  })
  afterAll(async () => {
    await dp.close()
    await Promise.all([oldB.close(), newB.close()])
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
  })

  const port = () => dp.port
  const settledAll = () => waitFor(() => dp.plane.shadow.stats('r')!.inflight === 0, { message: 'every shadow call to end' })

  it('pipelined requests, HTTP/1.0, HEAD, chunked with trailers, 100-continue: old\'s answers, each shadowed', async () => {
    const pipelined = await rawExchange(port(), 'GET /a HTTP/1.1\r\nhost: x\r\n\r\nPOST /b HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n')
    expect(pipelined.match(/old:(GET|POST):\d+/g)).toEqual(['old:GET:0', 'old:POST:3', 'old:GET:0'])
    const http10 = parseRawResponse(await rawExchange(port(), 'GET /d HTTP/1.0\r\nhost: x\r\n\r\n'))
    expect(http10.body).toContain('old:GET:0')
    const head = parseRawResponse(await rawExchange(port(), 'HEAD /e HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'))
    expect(head.status).toBe(200)
    const chunked = parseRawResponse(await rawExchange(port(), 'PUT /f HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n'))
    expect(chunked.body).toContain('old:PUT:11')
    const cont = await rawExchange(port(), 'POST /g HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 4\r\nconnection: close\r\n\r\n', (got) => got.includes('100 Continue'))
    expect(cont).toContain('100 Continue')
    await settledAll()
    const rep = dp.plane.shadow.report('r')!
    expect(crashes).toEqual([])
    expect(rep.matched + rep.mismatched).toBeGreaterThanOrEqual(6)
    // The echo origins differ by name: every compared answer is a mismatch; none failed.
    expect(rep.errors).toBe(0)
  })

  it('a client that abandons its upload midway, or after the head: skipped, never stuck', async () => {
    const before = dp.plane.shadow.report('r')!
    for (const payload of [
      'POST /h HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\nonly a part',
      'POST /i HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel',
    ]) {
      const socket = connect(port(), '127.0.0.1')
      socket.on('error', () => {})
      await new Promise<void>((r) => socket.once('connect', () => r()))
      socket.write(payload)
      await waitFor(() => oldB.requests.length > 0 && dp.plane.shadow.stats('r')!.inflight > 0, { message: 'the upload to start' })
      socket.destroy()
      await settledAll()
    }
    const after = dp.plane.shadow.report('r')!
    expect(after.skipped - before.skipped).toBe(2)
    expect(crashes).toEqual([])
    // Still serving, still shadowing.
    const ok = parseRawResponse(await rawExchange(port(), 'GET /j HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'))
    expect(ok.body).toContain('old:GET:0')
    await settledAll()
  })
})
