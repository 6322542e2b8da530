import { Readable } from 'node:stream'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, rssSampler, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'

const TOTAL = 50 * 1024 * 1024
const CHUNK = 64 * 1024
/** The client holds the rest of the body back until the origin has seen bytes: a proxy that buffered would deadlock. */
const HOLD_AFTER = 8 * 1024 * 1024

let oldB: TestBackend
let newB: TestBackend
let dp: TestDataPlane
let firstByteSeen: () => void = () => {}
let originSawBytes = new Promise<void>((r) => { firstByteSeen = r })

function countingHandler(name: string): Parameters<typeof startBackend>[1] {
  return (req, res) => {
    let bytes = 0
    req.on('data', (c: Buffer) => {
      if (bytes === 0) firstByteSeen()
      bytes += c.length
    })
    req.on('end', () => res.end(`${name}:${bytes}`))
  }
}

beforeAll(async () => {
  oldB = await startBackend('old', countingHandler('old'))
  newB = await startBackend('new', countingHandler('new'))
  dp = await startDataPlane([
    routeConfig({ name: 'to-old', match: { host: undefined, pathPrefix: '/old' }, old: [oldB.url], new: [newB.url], percentBp: 0 }),
    routeConfig({ name: 'to-new', match: { host: undefined, pathPrefix: '/new' }, old: [oldB.url], new: [newB.url], percentBp: 10_000 }),
  ])
})

afterAll(async () => {
  await dp.close()
  await Promise.all([oldB.close(), newB.close()])
})

function body(): Readable {
  return Readable.from((async function* () {
    const chunk = Buffer.alloc(CHUNK, 0x61)
    for (let sent = 0; sent < TOTAL; sent += CHUNK) {
      if (sent === HOLD_AFTER) await withTimeout(originSawBytes, 'the origin saw no byte while the client was still sending')
      yield chunk
    }
  })(), { objectMode: false })
}

async function withTimeout<T>(p: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), 10_000) })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

for (const side of ['old', 'new'] as const) {
  test(`a 50 MB upload to ${side} is streamed through with RSS growth under 100 MB`, async () => {
    originSawBytes = new Promise<void>((r) => { firstByteSeen = r })
    const rss = rssSampler()
    const res = await dp.client.request({ path: `/${side}/upload`, method: 'POST', body: body() })
    const text = await res.body.text()
    const growth = rss.stop()

    expect(res.statusCode).toBe(200)
    expect(text).toBe(`${side}:${TOTAL}`)
    expect(growth).toBeLessThan(100 * 1024 * 1024)
  })
}
