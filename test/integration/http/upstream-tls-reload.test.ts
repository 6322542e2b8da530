import { copyFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { loadConfigFile } from '../../../src/config/load.js'
import type { RouteConfig } from '../../../src/config/types.js'
import { buildViews } from '../../../src/state/views.js'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { startDataPlane, type TestDataPlane } from '../../helpers/dataplane.js'
import { createTestCa, startHttpsBackend, type HttpsBackend, type TestCa } from '../../helpers/tls-certs.js'

/**
 * A backend's certificate is renewed by a different CA: sluice fails the handshake (502
 * upstream_tls) until its `tls.ca` file is swapped and the config reloaded, then answers again.
 * Also: a balanced list of https origins, each reached with its own server name and CA settings.
 */

let caA: TestCa
let caB: TestCa
let backend: HttpsBackend
let vendor: HttpsBackend
let oldB: TestBackend
let dp: TestDataPlane
let configFile: string
let leafB: { cert: string; key: string }

async function load(): Promise<readonly RouteConfig[]> {
  const loaded = await loadConfigFile(configFile, {})
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
  return loaded.config.routes
}

function install(routes: readonly RouteConfig[]): void {
  dp.plane.setRoutes(routes, buildViews(routes, [], { targets: new Map(), members: new Map() }).routes)
}

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await dp.client.request({ path, method: 'GET', headers: { host: 'shop.example.com' } })
  return { status: res.statusCode, text: await res.body.text() }
}

beforeAll(async () => {
  caA = await createTestCa('ca-a')
  caB = await createTestCa('ca-b')
  const leafA = await caA.issue('localhost', ['localhost'])
  leafB = await caB.issue('localhost', ['localhost'])
  const vendorLeaf = await caA.issue('vendor', ['api.vendor.test'])
  backend = await startHttpsBackend('renewed', { cert: leafA.cert, key: leafA.key })
  vendor = await startHttpsBackend('vendor', { cert: vendorLeaf.cert, key: vendorLeaf.key })
  oldB = await startBackend('old')
  await copyFile(caA.caFile, join(caA.dir, 'trusted.pem'))
  configFile = join(caA.dir, 'sluice.yaml')
  await writeFile(configFile, `routes:
  - name: renewed
    match: { pathPrefix: /renewed }
    old: { url: "https://localhost:${backend.port}", tls: { ca: trusted.pem } }
    new: ${oldB.url}
  - name: balanced
    match: { pathPrefix: /balanced }
    old:
      - { url: "https://localhost:${backend.port}", tls: { ca: trusted.pem } }
      - { url: "https://127.0.0.1:${vendor.port}", tls: { ca: trusted.pem, servername: api.vendor.test } }
    new: ${oldB.url}
`)
  dp = await startDataPlane(await load())
})

afterAll(async () => {
  await dp?.close()
  await Promise.all([backend, vendor, oldB].map((b) => b?.close()))
  await Promise.all([caA, caB].map((c) => c?.remove()))
})

test('a balanced list of https origins: each origin gets its own server name', async () => {
  const answers = new Set<string>()
  for (let i = 0; i < 20 && answers.size < 2; i++) {
    const r = await get(`/balanced/${i}`)
    expect(r.status).toBe(200)
    answers.add(r.text)
  }
  expect([...answers].sort()).toEqual(['renewed', 'vendor'])
  expect(backend.seen.at(-1)).toMatchObject({ servername: 'localhost', host: `localhost:${backend.port}` })
  expect(vendor.seen.at(-1)).toMatchObject({ servername: 'api.vendor.test', host: `127.0.0.1:${vendor.port}` })
})

test('a certificate renewed by another CA fails until tls.ca is swapped and the config reloaded', async () => {
  expect((await get('/renewed/a')).status).toBe(200)

  backend.server.setSecureContext({ cert: leafB.cert, key: leafB.key })
  // sluice's keep-alive connection predates the renewal: drop it, so the next request handshakes anew.
  await backend.closeConnections()
  const refused = await get('/renewed/b')
  expect(refused.status).toBe(502)
  expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'upstream_tls' } })

  await copyFile(caB.caFile, join(caA.dir, 'trusted.pem'))
  install(await load())
  const after = await get('/renewed/c')
  expect(after).toEqual({ status: 200, text: 'renewed' })
})
