import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Pool } from 'undici'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { routeConfig, startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { createTestCa, type Leaf, type TestCa } from '../../helpers/tls-certs.js'

/**
 * The data plane on TLS (`listen: { address, tls }`): curl with the CA gets the backend's answer,
 * the backend sees `x-forwarded-proto: https`, and a renewed certificate (setTls, what a reload
 * does) serves new handshakes while an open keep-alive connection keeps working.
 */

const run = promisify(execFile)

let caA: TestCa
let caB: TestCa
let leafB: Leaf
let backend: TestBackend
let dp: TestDataPlane

beforeAll(async () => {
  caA = await createTestCa('listener-ca-a')
  caB = await createTestCa('listener-ca-b')
  const leafA = await caA.issue('localhost', ['localhost'])
  leafB = await caB.issue('localhost', ['localhost'])
  backend = await startBackend('backend')
  dp = await startDataPlane([routeConfig({ name: 'shop', old: [backend.url], new: [backend.url], optIn: true })], {
    tls: { cert: leafA.cert, key: leafA.key, clientCa: caA.ca + caB.ca },
  })
})

afterAll(async () => {
  await dp?.close()
  await backend?.close()
  await Promise.all([caA, caB].map((c) => c?.remove()))
})

async function curl(caFile: string, path: string): Promise<{ code: number; body: string }> {
  try {
    const { stdout } = await run('curl', ['-sS', '--max-time', '10', '--cacert', caFile, '--resolve', `localhost:${dp.port}:127.0.0.1`, `https://localhost:${dp.port}${path}`])
    return { code: 0, body: stdout }
  } catch (err) {
    return { code: (err as { code?: number }).code ?? -1, body: '' }
  }
}

test('curl --cacert gets the answer over TLS; the backend sees x-forwarded-proto https', async () => {
  expect(await curl(caA.caFile, '/a')).toEqual({ code: 0, body: 'backend' })
  const seen = backend.requests.at(-1)
  expect(seen?.headers['x-forwarded-proto']).toBe('https')
  expect(seen?.headers['x-forwarded-host']).toBe(`localhost:${dp.port}`)
})

test('an opt-in cookie set over TLS is Secure', async () => {
  const res = await dp.client.request({ path: '/_sluice/opt-in?route=shop', method: 'GET' })
  await res.body.dump()
  expect(String(res.headers['set-cookie'])).toMatch(/; Secure$/)
})

test('a renewed certificate serves new handshakes; an open connection is not dropped', async () => {
  let connects = 0
  const keepAlive = new Pool(dp.url, { connections: 1, connect: { ca: caA.ca + caB.ca, servername: 'localhost' } })
  keepAlive.on('connect', () => { connects++ })
  try {
    expect(await (await keepAlive.request({ path: '/before', method: 'GET' })).body.text()).toBe('backend')
    dp.plane.setTls({ cert: leafB.cert, key: leafB.key })

    expect(await curl(caB.caFile, '/renewed')).toEqual({ code: 0, body: 'backend' })
    // curl exit 60: the peer certificate cannot be authenticated with the given CA.
    expect((await curl(caA.caFile, '/old-ca')).code).toBe(60)
    expect(await (await keepAlive.request({ path: '/after', method: 'GET' })).body.text()).toBe('backend')
    expect(connects).toBe(1)
  } finally {
    await keepAlive.destroy()
  }
})
