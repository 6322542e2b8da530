import { execFile } from 'node:child_process'
import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli, SluiceProcess } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { createTestCa, type Leaf, type TestCa } from '../helpers/tls-certs.js'

/**
 * The admin plane on TLS (`admin.listen: { address, tls }`), a real `sluice start`: curl with the
 * private CA reads it; the CLI reaches it with --cacert, SLUICE_ADMIN_CACERT or NODE_EXTRA_CA_CERTS,
 * and without the CA (or over plain http) exits 2 saying what to do; a SIGHUP reload serves a
 * replaced certificate to new handshakes while an open keep-alive connection keeps working.
 */

const run = promisify(execFile)

let caA: TestCa
let caB: TestCa
let leafB: Leaf
let backend: SideBackend
let sluice: SluiceProcess
/** https://127.0.0.1:PORT, from the start-up line. */
let admin: string

async function curl(caFile: string, path: string): Promise<{ code: number; body: string }> {
  try {
    const { stdout } = await run('curl', ['-sS', '--max-time', '10', '--cacert', caFile, `${admin}${path}`])
    return { code: 0, body: stdout }
  } catch (err) {
    return { code: (err as { code?: number }).code ?? -1, body: '' }
  }
}

beforeAll(async () => {
  caA = await createTestCa('admin-ca-a')
  caB = await createTestCa('admin-ca-b')
  const leafA = await caA.issue('admin-a', ['localhost', '127.0.0.1'])
  leafB = await caB.issue('admin-b', ['localhost', '127.0.0.1'])
  backend = await startSideBackend('old')
  sluice = new SluiceProcess(`listen: 127.0.0.1:0
admin: { listen: { address: 127.0.0.1:0, tls: { cert: admin.pem, key: admin-key.pem } } }
shutdown: { drainDelay: 0s, timeout: 5s }
routes:
  - name: checkout
    old: ${backend.url}
    new: ${backend.url}
    percent: 5
`)
  await copyFile(leafA.certFile, join(sluice.dir, 'admin.pem'))
  await copyFile(leafA.keyFile, join(sluice.dir, 'admin-key.pem'))
  await sluice.start()
  admin = sluice.admin
}, 60_000)

afterAll(async () => {
  await sluice?.stop()
  await backend?.close()
  await Promise.all([caA, caB].map((c) => c?.remove()))
})

describe('admin plane over TLS', () => {
  it('says https in the start-up line and answers curl --cacert', async () => {
    expect(admin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(await curl(caA.caFile, '/healthz')).toMatchObject({ code: 0 })
    const routes = JSON.parse((await curl(caA.caFile, '/api/routes')).body) as { routes: { name: string; percent: number }[] }
    expect(routes.routes.map((r) => [r.name, r.percent])).toEqual([['checkout', 5]])
  })

  it('the CLI trusts the CA given by --cacert, SLUICE_ADMIN_CACERT or NODE_EXTRA_CA_CERTS', async () => {
    const byOption = await runCli(['status', '--admin', admin, '--cacert', caA.caFile])
    expect(byOption.stderr).toBe('')
    expect(byOption.code).toBe(0)
    expect(byOption.stdout).toMatch(/^checkout\s+route\s+5%/m)

    const lever = await runCli(['set-percent', 'checkout', '7', '--admin', admin], { SLUICE_ADMIN_CACERT: caA.caFile })
    expect(lever.code).toBe(0)
    expect(lever.stdout).toContain('route checkout: 7% to new')

    const byNode = await runCli(['status', '-o', 'json', '--admin', admin], { NODE_EXTRA_CA_CERTS: caA.caFile })
    expect(byNode.code).toBe(0)
    expect((JSON.parse(byNode.stdout) as { routes: { percent: number }[] }).routes[0]?.percent).toBe(7)

    const health = await runCli(['healthcheck', '--admin', admin, '--cacert', caA.caFile])
    expect(health.code).toBe(0)
  })

  it('without the CA, or over plain http, the CLI exits 2 and says what to do', async () => {
    const untrusted = await runCli(['status', '--admin', admin])
    expect(untrusted.code).toBe(2)
    expect(untrusted.stderr).toContain('its certificate is not trusted; pass --cacert FILE')

    const plain = await runCli(['status', '--admin', admin.replace('https:', 'http:')])
    expect(plain.code).toBe(2)
    expect(plain.stderr).toContain('if the admin plane speaks HTTPS')

    const missing = await runCli(['status', '--admin', admin, '--cacert', join(sluice.dir, 'nope.pem')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('cannot read --cacert')
  })

  it('a reload serves the replaced certificate to new handshakes; an open connection is not dropped', async () => {
    let connects = 0
    const keepAlive = new Pool(admin, { connections: 1, connect: { ca: caA.ca } })
    keepAlive.on('connect', () => { connects++ })
    try {
      expect((await keepAlive.request({ path: '/healthz', method: 'GET' })).statusCode).toBe(200)
      await copyFile(leafB.certFile, join(sluice.dir, 'admin.pem'))
      await copyFile(leafB.keyFile, join(sluice.dir, 'admin-key.pem'))
      sluice.signal('SIGHUP')
      await sluice.waitForLog((l) => l.msg === 'config reloaded')

      expect(await curl(caB.caFile, '/healthz')).toMatchObject({ code: 0 })
      // curl exit 60: the peer certificate cannot be authenticated with the given CA.
      expect((await curl(caA.caFile, '/healthz')).code).toBe(60)
      expect((await runCli(['status', '--admin', admin, '--cacert', caB.caFile])).code).toBe(0)
      const again = await keepAlive.request({ path: '/healthz', method: 'GET' })
      await again.body.dump()
      expect(again.statusCode).toBe(200)
      expect(connects).toBe(1)
    } finally {
      await keepAlive.destroy()
    }
  })
})
