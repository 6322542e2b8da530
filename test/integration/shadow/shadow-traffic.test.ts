import { Readable } from 'node:stream'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RouteConfig, ShadowConfig } from '../../../src/config/types.js'
import { hashKey, thresholdFor } from '../../../src/core/bucket.js'
import { inShadowShare } from '../../../src/core/shadow-share.js'
import { REFUSED_ORIGIN, startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * README "Shadow traffic", end to end over real sockets: which requests go to new as shadow calls,
 * that the client's answer is old's whatever new does, and what the comparison records.
 */

const SHADOW: ShadowConfig = {
  percentBp: 10_000, methods: ['GET', 'HEAD'], maxBodyBytes: 1024 * 1024, maxConcurrent: 64,
  compare: { headers: ['content-type'], ignoreJson: ['$.timestamp', '$.items[*].id'] },
}

/** A JSON origin: answers `body(req)` (after reading the request), recording every request. */
function jsonBackend(name: string, body: (req: IncomingMessage, received: Buffer) => unknown, status = 200) {
  const received: Buffer[] = []
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const all = Buffer.concat(chunks)
      received.push(all)
      const text = JSON.stringify(body(req, all))
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
      res.end(text)
    })
  }
  return { received, start: () => startBackend(name, handler) }
}

describe('shadow traffic', () => {
  let dp: TestDataPlane | undefined
  let backends: TestBackend[] = []
  const extra: Array<() => Promise<void>> = []

  afterEach(async () => {
    await dp?.close()
    dp = undefined
    await Promise.all([...backends.map((b) => b.close()), ...extra.map((c) => c())])
    backends = []
    extra.length = 0
  })

  async function plane(
    oldB: TestBackend, newUrl: string, over: Partial<RouteConfig> = {}, shadow: Partial<ShadowConfig> = {},
  ): Promise<TestDataPlane> {
    dp = await startDataPlane([routeConfig({
      name: 'r', old: [oldB.url], new: [newUrl], sticky: [{ kind: 'header', name: 'x-user' }],
      shadow: { ...SHADOW, ...shadow }, ...over,
    })])
    return dp
  }

  const report = () => dp!.plane.shadow.report('r')!
  const settled = (n: number) => waitFor(() => {
    const r = report()
    return r.compared + r.errors + r.skipped >= n && r
  }, { message: `${n} shadow results` })

  async function get(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string | AsyncIterable<Buffer>) {
    const payload = body === undefined ? null : typeof body === 'string' ? body : Readable.from(body)
    const res = await dp!.client.request({ path, method, headers, body: payload })
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
  }

  it('sends a GET answered by old to new with x-sluice-shadow: 1; the client gets old\'s answer; equal answers match', async () => {
    const oldB = await startBackend('old', jsonHandler(() => ({ ok: true, timestamp: 1 })))
    const newB = await startBackend('new', jsonHandler(() => ({ ok: true, timestamp: 2 })))
    backends.push(oldB, newB)
    await plane(oldB, newB.url)
    // A client cannot pass for a shadow call: x-sluice-* headers never reach a backend.
    const r = await get('/orders/7?token=secret', { 'x-user': 'u1', 'x-sluice-shadow': '1' })
    expect(r.text).toBe('{"ok":true,"timestamp":1}')
    const rep = await settled(1)
    expect(newB.requests).toHaveLength(1)
    expect(newB.requests[0]!.headers['x-sluice-shadow']).toBe('1')
    expect(newB.requests[0]!.url).toBe('/orders/7?token=secret')
    expect(oldB.requests[0]!.headers['x-sluice-shadow']).toBeUndefined()
    expect(rep).toMatchObject({ compared: 1, matched: 1, mismatched: 0, errors: 0, skipped: 0, samples: [] })
  })

  it('records a mismatch with a path-level diff, the path without query values, and no header values', async () => {
    const oldB = await startBackend('old', jsonHandler(() => ({ items: [{ id: 1, price: 10 }, { id: 2, price: 5 }], requestId: 'a' })))
    const newB = await startBackend('new', jsonHandler(() => ({ items: [{ id: 9, price: 11 }, { id: 8, price: 5 }], requestId: 'a' }), 'application/json; charset=utf-8'))
    backends.push(oldB, newB)
    await plane(oldB, newB.url)
    await get('/cart?user=alice&token=s3cret', { 'x-user': 'u1' })
    const rep = await settled(1)
    expect(rep.mismatched).toBe(1)
    expect(rep.samples).toHaveLength(1)
    const sample = rep.samples[0]!
    expect(sample).toMatchObject({ method: 'GET', path: '/cart?user&token', old: { status: 200 }, new: { status: 200 } })
    expect(sample.diff).toEqual(['header content-type differs', '$.items[0].price: 10 → 11'])
    expect(JSON.stringify(rep)).not.toContain('s3cret')
    expect(JSON.stringify(rep)).not.toContain('charset')
  })

  it('compares other bodies byte for byte, by length and hash', async () => {
    const oldB = await startBackend('old')
    const newB = await startBackend('new-side')
    backends.push(oldB, newB)
    await plane(oldB, newB.url, {}, { compare: { headers: [], ignoreJson: [] } })
    await get('/', { 'x-user': 'u1' })
    const rep = await settled(1)
    expect(rep.samples[0]!.diff).toEqual([expect.stringMatching(/^body: 3 bytes #[0-9a-f]{8} → 8 bytes #[0-9a-f]{8}$/)])
  })

  it('shadows only the listed methods: a POST is not shadowed by default', async () => {
    const oldB = await startBackend('old')
    const newB = await startBackend('new')
    backends.push(oldB, newB)
    await plane(oldB, newB.url)
    await get('/', { 'x-user': 'u1' }, 'POST', 'hello')
    await get('/', { 'x-user': 'u1' }, 'DELETE')
    await get('/', { 'x-user': 'u1' }, 'HEAD')
    await settled(1)
    expect(newB.requests.map((q) => q.method)).toEqual(['HEAD'])
  })

  it('tees a chunked request body to old and new when POST is listed; the client gets old\'s answer', async () => {
    const echo = (name: string) => jsonBackend(name, (_req, body) => ({ got: body.toString() }))
    const o = echo('old')
    const n = echo('new')
    const oldB = await o.start()
    const newB = await n.start()
    backends.push(oldB, newB)
    await plane(oldB, newB.url, {}, { methods: ['POST'] })
    async function* chunks() {
      for (let i = 0; i < 20; i++) yield Buffer.from(`part-${i};`)
    }
    const r = await get('/upload', { 'x-user': 'u1' }, 'POST', chunks())
    const expected = Array.from({ length: 20 }, (_, i) => `part-${i};`).join('')
    expect(JSON.parse(r.text)).toEqual({ got: expected })
    const rep = await settled(1)
    expect(n.received.map((b) => b.toString())).toEqual([expected])
    expect(rep.matched).toBe(1)
  })

  it('skips a request body over maxBodyBytes, declared or chunked: new never sees it', async () => {
    const oldB = await startBackend('old')
    const newB = await startBackend('new')
    backends.push(oldB, newB)
    await plane(oldB, newB.url, {}, { methods: ['POST'], maxBodyBytes: 1000 })
    const big = 'x'.repeat(5000)
    expect((await get('/', { 'x-user': 'u1' }, 'POST', big)).text).toBe('old')
    async function* chunks() {
      for (let i = 0; i < 10; i++) yield Buffer.from('y'.repeat(500))
    }
    expect((await get('/', { 'x-user': 'u1' }, 'POST', chunks())).text).toBe('old')
    const rep = await settled(2)
    expect(rep.skipped).toBe(2)
    expect(oldB.requests.map((q) => q.bodyBytes)).toEqual([5000, 5000])
    expect(newB.requests).toHaveLength(0)
  })

  it('never shadows a user who opted out, nor one pinned by a group, nor one on new', async () => {
    const oldB = await startBackend('old')
    const newB = await startBackend('new')
    backends.push(oldB, newB)
    await plane(oldB, newB.url, {
      optIn: true,
      groups: [{ name: 'vip', backend: 'old', key: undefined, users: ['vip-1'], usersFile: undefined }],
    })
    await get('/', { 'x-user': 'u1', cookie: 'sluice-opt-r=out' })
    await get('/', { 'x-user': 'vip-1' })
    await get('/', { 'x-user': 'u2', cookie: 'sluice-opt-r=in' })
    expect(newB.requests.filter((q) => q.headers['x-sluice-shadow'] === '1')).toHaveLength(0)
    await get('/', { 'x-user': 'u3' })
    await settled(1)
    expect(newB.requests.filter((q) => q.headers['x-sluice-shadow'] === '1')).toHaveLength(1)
  })

  it('a sticky share of old\'s users, independent of the route\'s percent', async () => {
    const oldB = await startBackend('old')
    const newB = await startBackend('new')
    backends.push(oldB, newB)
    await plane(oldB, newB.url, { percentBp: 2_000 }, { percentBp: 2_500 })
    const keys = Array.from({ length: 2_000 }, (_, i) => `user-${i}`)
    const onOld: string[] = []
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map(async (k) => {
        const r = await get('/', { 'x-user': k })
        if (r.text === 'old') onOld.push(k)
      }))
    }
    await settled(onOld.length > 0 ? 1 : 0)
    await waitFor(() => report().compared + report().skipped + report().errors === newB.requests.filter((q) => q.headers['x-sluice-shadow'] === '1').length)
    const shadowed = new Set(newB.requests.filter((q) => q.headers['x-sluice-shadow'] === '1').map((q) => String(q.headers['x-user'])))
    const share = shadowed.size / onOld.length
    expect(share).toBeGreaterThan(0.25 - 0.035)
    expect(share).toBeLessThan(0.25 + 0.035)
    // Exactly the users the shared hash puts in the share, no other.
    const expected = onOld.filter((k) => inShadowShare(hashKey('r:', k), thresholdFor(2_000), 2_500))
    expect([...shadowed].sort()).toEqual(expected.sort())
    // Sticky: the same users again are shadowed again, no one else.
    const before = newB.requests.length
    const again = [...shadowed].slice(0, 20)
    for (const k of again) await get('/', { 'x-user': k })
    const notShadowed = onOld.filter((k) => !shadowed.has(k)).slice(0, 20)
    for (const k of notShadowed) await get('/', { 'x-user': k })
    await waitFor(() => newB.requests.length >= before + again.length)
    expect(newB.requests.slice(before).map((q) => String(q.headers['x-user'])).sort()).toEqual(again.sort())
  })

  it('a new side that hangs never holds up the client; over maxConcurrent the call is skipped', async () => {
    const held: ServerResponse[] = []
    const oldB = await startBackend('old')
    const newB = await startBackend('new', (_req, res) => { held.push(res) })
    backends.push(oldB, newB)
    await plane(oldB, newB.url, {}, { maxConcurrent: 2 })
    for (let i = 0; i < 3; i++) expect((await get('/', { 'x-user': `u${i}` })).text).toBe('old')
    await waitFor(() => held.length === 2)
    expect(report()).toMatchObject({ skipped: 1, compared: 0 })
    // New answers late (and differently): the calls are compared then.
    for (const res of held) res.writeHead(200, { 'content-type': 'text/plain' }).end('old')
    const rep = await settled(3)
    expect(rep).toMatchObject({ matched: 2, skipped: 1 })
  })

  it('a new side that is down, resets or answers garbage never changes the client\'s answer; each is an error', async () => {
    const oldB = await startBackend('old')
    backends.push(oldB)
    const garbage = await rawServer((s) => s.end('NOT HTTP AT ALL\r\n\r\n'))
    const reset = await rawServer((s) => s.resetAndDestroy())
    extra.push(garbage.close, reset.close)
    for (const url of [REFUSED_ORIGIN, garbage.url, reset.url]) {
      await plane(oldB, url)
      const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => get('/', { 'x-user': `u${i}` })))
      expect(answers.map((a) => [a.status, a.text])).toEqual(Array.from({ length: 5 }, () => [200, 'old']))
      const rep = await settled(5)
      expect(rep).toMatchObject({ errors: 5, compared: 0 })
      expect(rep.samples[0]!.diff[0]).toMatch(/^new failed: (connect|reset|protocol)$/)
      await dp!.close()
      dp = undefined
    }
  })

  it('a client that leaves before old\'s answer ended: nothing to compare, new\'s call is stopped, skipped', async () => {
    const oldRes: ServerResponse[] = []
    let newClosed = false
    const oldB = await startBackend('old', (_req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.write('first part;'); oldRes.push(res) })
    const newB = await startBackend('new', (req) => { req.socket.once('close', () => { newClosed = true }) })
    backends.push(oldB, newB)
    await plane(oldB, newB.url)
    const res = await dp!.client.request({ path: '/stream', method: 'GET', headers: { 'x-user': 'u1' } })
    for await (const chunk of res.body) {
      expect('first part;'.startsWith(String(chunk))).toBe(true)
      break // leaves the response unfinished: undici aborts it
    }
    const rep = await settled(1)
    expect(rep).toMatchObject({ skipped: 1, compared: 0, errors: 0 })
    await waitFor(() => newClosed, { message: "new's shadow call to be stopped" })
    expect(dp!.plane.shadow.stats('r')!.inflight).toBe(0)
    for (const r of oldRes) r.end()
  })

  it('a slow new side times out on the route\'s own timeouts, as an error', async () => {
    const oldB = await startBackend('old')
    const newB = await startBackend('new', () => { /* never answers */ })
    backends.push(oldB, newB)
    // Old answers at once; new never does, and its header timeout (the route's) ends the call.
    await plane(oldB, newB.url, { timeouts: { connectMs: 1_000, headerMs: 1_000, idleMs: 1_000 } })
    expect((await get('/', { 'x-user': 'u1' })).text).toBe('old')
    const rep = await settled(1)
    expect(rep.errors).toBe(1)
    expect(rep.samples[0]!.diff).toEqual(['new failed: timeout'])
  })

  it('skips the comparison when old\'s body is over maxBodyBytes, and counts a new body over it as a mismatch', async () => {
    const big = 'z'.repeat(3000)
    const oldB = await startBackend('old', (req, res) => res.end(req.url === '/big' ? big : 'small'))
    const newB = await startBackend('new', (_req, res) => res.end(big))
    backends.push(oldB, newB)
    await plane(oldB, newB.url, {}, { maxBodyBytes: 1000, compare: { headers: [], ignoreJson: [] } })
    expect((await get('/big', { 'x-user': 'u1' })).text).toBe(big)
    await settled(1)
    expect(report().skipped).toBe(1)
    expect((await get('/small', { 'x-user': 'u1' })).text).toBe('small')
    const rep = await settled(2)
    expect(rep.mismatched).toBe(1)
    expect(rep.samples[0]!.diff).toEqual([expect.stringMatching(/^body: 5 bytes #[0-9a-f]{8} → over 1000 bytes$/)])
  })
})

function jsonHandler(body: () => unknown, contentType = 'application/json') {
  return (req: IncomingMessage, res: ServerResponse): void => {
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': contentType }).end(JSON.stringify(body())))
  }
}

/** A TCP origin that does `onRequest` with the socket once a request head arrived. */
async function rawServer(onRequest: (s: Socket) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createNetServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
    let seen = ''
    s.on('data', (d: Buffer) => {
      seen += d.toString('latin1')
      if (seen.includes('\r\n\r\n')) onRequest(s)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
