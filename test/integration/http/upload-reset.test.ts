import { once } from 'node:events'
import { connect, createServer, type Server } from 'node:net'
import { Readable } from 'node:stream'
import { Client } from 'undici'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { listenOnLoopback, REFUSED_ORIGIN, startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'

/**
 * A backend that resets the connection while the client is still uploading: the client, which keeps
 * sending, must get sluice's 502 JSON (not a write error on a connection closed under it), the
 * request must not be resent anywhere (not even to old after new failed: its body was already
 * read), and the connection must stay usable.
 */
const BODY_CHUNKS = 64
const CHUNK = Buffer.alloc(64 * 1024, 0x61)

let resetter: { url: string; arrivals: () => number; close: () => Promise<void> }
let healthy: TestBackend

async function startResetter(): Promise<typeof resetter> {
  let arrivals = 0
  const server: Server = createServer((socket) => {
    socket.on('error', () => {})
    let bytes = 0
    let counted = false
    socket.on('data', (d: Buffer) => {
      if (!counted) { counted = true; arrivals++ }
      bytes += d.length
      if (bytes > 128 * 1024) socket.resetAndDestroy()
    })
  })
  return { ...await listenOnLoopback(server), arrivals: () => arrivals }
}

beforeAll(async () => {
  resetter = await startResetter()
  healthy = await startBackend('healthy')
})

afterAll(async () => {
  await resetter.close()
  await healthy.close()
})

async function* upload(): AsyncGenerator<Buffer> {
  for (let i = 0; i < BODY_CHUNKS; i++) {
    yield CHUNK
    if (i % 8 === 0) await new Promise((r) => setTimeout(r, 2))
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe.each([
  { side: 'old', percentBp: 0 },
  { side: 'new', percentBp: 10_000 },
] as const)('a reset mid-upload on $side', ({ side, percentBp }) => {
  let dp: TestDataPlane
  beforeAll(async () => {
    const sides = side === 'old' ? { old: [resetter.url], new: [REFUSED_ORIGIN] } : { old: [healthy.url], new: [resetter.url] }
    dp = await startDataPlane([
      routeConfig({ name: `alive-${side}`, old: [healthy.url], new: [healthy.url], match: { host: undefined, pathPrefix: '/alive' } }),
      routeConfig({ name: `upload-${side}`, ...sides, percentBp }),
    ])
  })
  afterAll(async () => { await dp.close() })

  test('the connection stays usable: the rest of the upload is read and dropped, the next request answered', async () => {
    const socket = connect(dp.port, '127.0.0.1')
    socket.on('error', () => {})
    let received = ''
    socket.on('data', (d: Buffer) => { received += d.toString('latin1') })
    try {
      const total = BODY_CHUNKS * CHUNK.length
      socket.write(`POST /up HTTP/1.1\r\nhost: x\r\ncontent-length: ${total}\r\n\r\n`)
      for await (const chunk of upload()) if (!socket.write(chunk)) await once(socket, 'drain')
      await until(() => received.includes('upstream_reset'), 'the 502')
      expect(received).toMatch(/^HTTP\/1\.1 502 /)
      expect(received.toLowerCase()).not.toContain('connection: close')
      received = ''
      socket.write('GET /alive HTTP/1.1\r\nhost: x\r\n\r\n')
      await until(() => /\r\n\r\n/.test(received), 'the answer on the same connection')
      expect(received).toMatch(/^HTTP\/1\.1 200 /)
    } finally {
      socket.destroy()
    }
  })

  test.each(['content-length', 'chunked'] as const)('%s: 502 upstream_reset with its JSON body, never resent', async (framing) => {
    const arrivalsBefore = resetter.arrivals()
    const healthyBefore = healthy.requests.length
    const client = new Client(dp.url)
    try {
      const body = Readable.from(upload())
      const headers = framing === 'content-length' ? { 'content-length': String(BODY_CHUNKS * CHUNK.length) } : {}
      const res = await client.request({ path: '/up', method: 'POST', body, headers })
      expect(res.statusCode).toBe(502)
      expect(await res.body.json()).toMatchObject({ error: { code: 'upstream_reset' } })
      const [outcome] = (await waitForOutcomes(dp, dp.outcomes.length)).slice(-1)
      expect(outcome).toMatchObject({ side, servedBy: side, status: 502, error: 'reset', fellBack: false, clientGone: false })
      expect(resetter.arrivals() - arrivalsBefore).toBe(1)
      expect(healthy.requests.length).toBe(healthyBefore) // not resent to old after new failed

      // The plane still serves. (undici itself drops a connection whose answer came before the
      // body was sent; the raw-socket test below shows sluice keeps it.)
      const next = await client.request({ path: '/alive', method: 'GET' })
      expect(next.statusCode).toBe(200)
      await next.body.dump()
    } finally {
      await client.close()
    }
  })
})
