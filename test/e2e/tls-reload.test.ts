import { execFile } from 'node:child_process'
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { SluiceApp } from '../../src/app/index.js'
import { createLogger } from '../../src/observe/log.js'
import { startAppFromFile } from '../helpers/app.js'
import { createTestCa, startHttpsBackend, type HttpsBackend, type Leaf, type TestCa } from '../helpers/tls-certs.js'

/**
 * Issue 20, end to end through SluiceApp: the data plane listens on TLS and proxies to an HTTPS
 * backend behind a private CA. Every certificate is then replaced by one from another CA (the
 * listener's files, the backend's certificate, the `tls.ca` file) and a SIGHUP-style reload picks
 * all of them up: curl trusting only the new CA gets the backend's answer.
 */

const run = promisify(execFile)

let caA: TestCa
let caB: TestCa
let leafB: Leaf
let backend: HttpsBackend
let app: SluiceApp
let port: number
const warnings: string[] = []

async function curl(caFile: string): Promise<{ code: number; body: string }> {
  try {
    const { stdout } = await run('curl', ['-sS', '--max-time', '10', '--cacert', caFile, '--resolve', `localhost:${port}:127.0.0.1`,
      '-H', 'host: shop.example.com', `https://localhost:${port}/x`])
    return { code: 0, body: stdout }
  } catch (err) {
    return { code: (err as { code?: number }).code ?? -1, body: '' }
  }
}

beforeAll(async () => {
  caA = await createTestCa('e2e-ca-a')
  caB = await createTestCa('e2e-ca-b')
  const leafA = await caA.issue('localhost', ['localhost'])
  leafB = await caB.issue('localhost', ['localhost'])
  backend = await startHttpsBackend('vendor', { cert: leafA.cert, key: leafA.key })
  const dir = caA.dir
  await copyFile(leafA.certFile, join(dir, 'listener.pem'))
  await copyFile(leafA.keyFile, join(dir, 'listener-key.pem'))
  await copyFile(caA.caFile, join(dir, 'upstream-ca.pem'))
  await writeFile(join(dir, 'sluice.yaml'), `listen: { address: "127.0.0.1:0", tls: { cert: listener.pem, key: listener-key.pem } }
admin: { listen: 127.0.0.1:0 }
shutdown: { drainDelay: 0s, timeout: 1s }
routes:
  - name: vendor
    old: { url: "https://localhost:${backend.port}", tls: { ca: upstream-ca.pem } }
    new: { url: "https://localhost:${backend.port}", tls: { ca: upstream-ca.pem } }
`)
  const logger = createLogger({ level: 'warn', destination: { write: (l: string) => void warnings.push(l) } })
  ;({ app } = await startAppFromFile(join(dir, 'sluice.yaml'), { logger }))
  port = app.addresses.data.port
}, 60_000)

afterAll(async () => {
  await app?.shutdown('test')
  await backend?.close()
  await Promise.all([caA, caB].map((c) => c?.remove()))
})

it('answers over TLS, and a reload picks up every replaced certificate', async () => {
  expect(await curl(caA.caFile)).toEqual({ code: 0, body: 'vendor' })
  expect(backend.seen.at(-1)).toMatchObject({ servername: 'localhost', host: `localhost:${backend.port}`, forwardedHost: 'shop.example.com' })

  const dir = caA.dir
  await copyFile(leafB.certFile, join(dir, 'listener.pem'))
  await copyFile(leafB.keyFile, join(dir, 'listener-key.pem'))
  await copyFile(caB.caFile, join(dir, 'upstream-ca.pem'))
  backend.server.setSecureContext({ cert: leafB.cert, key: leafB.key })
  await backend.closeConnections()

  expect(await app.reload('SIGHUP')).toBe(true)
  expect(await curl(caB.caFile)).toEqual({ code: 0, body: 'vendor' })
  expect((await curl(caA.caFile)).code).toBe(60)
})

it('a reload that turns off the certificate check of a backend says so', async () => {
  const file = join(caA.dir, 'sluice.yaml')
  const yaml = await readFile(file, 'utf8')
  await writeFile(file, yaml.replace('old: { url: "https://localhost:' + backend.port + '", tls: { ca: upstream-ca.pem } }',
    'old: { url: "https://localhost:' + backend.port + '", tls: { ca: upstream-ca.pem, rejectUnauthorized: false } }'))
  expect(warnings.some((l) => l.includes('NOT verified'))).toBe(false)
  expect(await app.reload('SIGHUP')).toBe(true)
  expect(warnings.filter((l) => l.includes('NOT verified')).map((l) => JSON.parse(l) as { route: string; side: string }))
    .toMatchObject([{ route: 'vendor', side: 'old' }])
})
