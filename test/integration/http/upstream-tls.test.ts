import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadConfigText } from '../../../src/config/load.js'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { startDataPlane, waitForOutcomes, type TestDataPlane } from '../../helpers/dataplane.js'
import { createTestCa, opensslDate, startHttpsBackend, startOpensslServer, type HttpsBackend, type OpensslServer, type TestCa } from '../../helpers/tls-certs.js'

/**
 * HTTPS backends with certificates from a private CA made for this run: the server name and the
 * certificate check come from the backend URL (or `tls.servername`), never from the client's Host;
 * a failed handshake is a 502 upstream_tls; a handshake that fails on new falls back to old.
 */

const CLIENT_HOST = 'shop.example.com'

let ca: TestCa
let good: HttpsBackend
let vendor: HttpsBackend
let expired: HttpsBackend
let mtls: HttpsBackend
let mtls13: HttpsBackend
let ossl: OpensslServer
let otherCa: TestCa
let oldB: TestBackend
let dp: TestDataPlane
const logLines: string[] = []

function route(name: string, old: unknown, neu: unknown, percent: number): string {
  return `  - name: ${name}\n    match: { pathPrefix: /${name} }\n    old: ${JSON.stringify(old)}\n    new: ${JSON.stringify(neu)}\n    percent: ${percent}\n    exposeBackendHeader: true\n`
}

beforeAll(async () => {
  ca = await createTestCa()
  const local = await ca.issue('localhost', ['localhost'])
  const vendorLeaf = await ca.issue('vendor', ['api.vendor.test'])
  const past = { start: opensslDate(new Date('2020-01-01T00:00:00Z')), end: opensslDate(new Date('2020-02-01T00:00:00Z')) }
  const expiredLeaf = await ca.issue('expired', ['localhost'], past)
  await ca.issue('client', ['sluice-client'])
  otherCa = await createTestCa('other-ca')
  await otherCa.issue('stranger', ['stranger-client'])
  good = await startHttpsBackend('good', { cert: local.cert, key: local.key })
  vendor = await startHttpsBackend('vendor', { cert: vendorLeaf.cert, key: vendorLeaf.key })
  expired = await startHttpsBackend('expired', { cert: expiredLeaf.cert, key: expiredLeaf.key })
  mtls = await startHttpsBackend('mtls', { cert: local.cert, key: local.key, ca: ca.ca, requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' })
  mtls13 = await startHttpsBackend('mtls13', { cert: local.cert, key: local.key, ca: ca.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' })
  ossl = await startOpensslServer(local, ca.caFile)
  oldB = await startBackend('old')
  const https = (b: HttpsBackend, host = 'localhost'): string => `https://${host}:${b.port}`
  const trusted = { ca: 'ca.pem' }
  const yaml = 'routes:\n' +
    route('upstream-host', oldB.url, { url: https(good), tls: trusted }, 100) +
    route('preserve-host', oldB.url, { url: https(good), host: 'preserve', tls: trusted }, 100) +
    route('fixed-host', oldB.url, { url: https(vendor, '127.0.0.1'), host: 'api.vendor.test', tls: { ...trusted, servername: 'api.vendor.test' } }, 100) +
    route('unknown-ca', https(good), oldB.url, 0) +
    route('expired', { url: https(expired), tls: trusted }, oldB.url, 0) +
    route('mtls', oldB.url, { url: https(mtls), tls: { ...trusted, cert: 'client.pem', key: 'client-key.pem' } }, 100) +
    route('mtls-no-cert', { url: https(mtls), tls: trusted }, oldB.url, 0) +
    route('fallback', oldB.url, https(good), 100) +
    route('mtls13', oldB.url, { url: https(mtls13), tls: { ...trusted, cert: 'client.pem', key: 'client-key.pem' } }, 100) +
    route('mtls13-no-cert', { url: https(mtls13), tls: trusted }, oldB.url, 0) +
    route('alert-mtls', oldB.url, { url: `https://localhost:${ossl.port}`, tls: { ...trusted, cert: 'client.pem', key: 'client-key.pem' } }, 100) +
    route('alert-no-cert', { url: `https://localhost:${ossl.port}`, tls: trusted }, oldB.url, 0) +
    route('alert-stranger', { url: `https://localhost:${ossl.port}`, tls: { ...trusted, cert: `${otherCa.dir}/stranger.pem`, key: `${otherCa.dir}/stranger-key.pem` } }, oldB.url, 0) +
    route('alert-fallback', oldB.url, { url: `https://localhost:${ossl.port}`, tls: trusted }, 100)
  await writeFile(join(ca.dir, 'sluice.yaml'), yaml)
  const loaded = await loadConfigText(yaml, 'sluice.yaml', {}, ca.dir)
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(line) })
  dp = await startDataPlane(loaded.config.routes, { logger })
})

afterAll(async () => {
  await dp?.close()
  await Promise.all([good, vendor, expired, mtls, mtls13, ossl, oldB].map((b) => b?.close()))
  await Promise.all([ca, otherCa].map((c) => c?.remove()))
})

async function get(path: string, method = 'GET', body?: Buffer): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  const res = await dp.client.request({ path, method, headers: { host: CLIENT_HOST }, ...(body ? { body } : {}) })
  return { status: res.statusCode, text: await res.body.text(), headers: res.headers }
}

describe('server name and Host', () => {
  test('an https backend behind a different client Host answers; SNI is its own name, Host its URL host', async () => {
    const r = await get('/upstream-host/a')
    expect(r.status).toBe(200)
    expect(r.text).toBe('good')
    expect(good.seen.at(-1)).toMatchObject({ servername: 'localhost', host: `localhost:${good.port}`, forwardedHost: CLIENT_HOST })
  })

  test('host: preserve forwards the client Host, and SNI still comes from the URL', async () => {
    const r = await get('/preserve-host/a')
    expect(r.status).toBe(200)
    expect(good.seen.at(-1)).toMatchObject({ servername: 'localhost', host: CLIENT_HOST, forwardedHost: CLIENT_HOST })
  })

  test('a configured servername and a fixed Host reach a backend addressed by IP', async () => {
    const r = await get('/fixed-host/a')
    expect(r.status).toBe(200)
    expect(r.text).toBe('vendor')
    expect(vendor.seen.at(-1)).toMatchObject({ servername: 'api.vendor.test', host: 'api.vendor.test', forwardedHost: CLIENT_HOST })
  })
})

describe('certificates', () => {
  test('a certificate from a CA not given by tls.ca: 502 upstream_tls, reason tls, the log names the problem', async () => {
    const before = dp.outcomes.length
    const r = await get('/unknown-ca/a')
    expect(r.status).toBe(502)
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'upstream_tls' } })
    const [o] = (await waitForOutcomes(dp, before + 1)).slice(before)
    expect(o).toMatchObject({ name: 'unknown-ca', side: 'old', status: 502, error: 'tls', fellBack: false })
    expect(logLines.some((l) => l.includes('unknown-ca') && /unable to verify|self.signed|UNABLE_TO/i.test(l))).toBe(true)
  })

  test('an expired certificate: 502 upstream_tls, and the log says it expired', async () => {
    const r = await get('/expired/a')
    expect(r.status).toBe(502)
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'upstream_tls' } })
    expect(logLines.some((l) => l.includes('CERT_HAS_EXPIRED'))).toBe(true)
    expect(expired.seen).toHaveLength(0)
  })

  test('mTLS: the client certificate from tls.cert/key is presented and accepted', async () => {
    const r = await get('/mtls/a', 'POST', Buffer.alloc(64 * 1024, 0x61))
    expect(r.status).toBe(200)
    expect(r.text).toBe('mtls')
    expect(mtls.seen.at(-1)).toMatchObject({ clientCert: 'sluice-client', method: 'POST', bodyBytes: 64 * 1024 })
  })

  test('a backend that requires a client certificate refuses one without: 502 upstream_tls', async () => {
    const before = dp.outcomes.length
    const r = await get('/mtls-no-cert/a')
    expect(r.status).toBe(502)
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'upstream_tls' } })
    const [o] = (await waitForOutcomes(dp, before + 1)).slice(before)
    expect(o).toMatchObject({ error: 'tls' })
  })
})

describe('fallback', () => {
  test("a GET whose handshake with new fails is answered by old, counted as new's tls error", async () => {
    const before = dp.outcomes.length
    const r = await get('/fallback/a')
    expect(r.status).toBe(200)
    expect(r.text).toBe('old')
    expect(r.headers['x-sluice-backend']).toBe('old')
    const [o] = (await waitForOutcomes(dp, before + 1)).slice(before)
    expect(o).toMatchObject({ side: 'new', servedBy: 'old', status: 200, error: 'tls', fellBack: true })
  })

  test('a POST whose handshake with new fails reaches old with its whole body', async () => {
    const payload = Buffer.alloc(200 * 1024, 0x7a)
    const r = await get('/fallback/b', 'POST', payload)
    expect(r.status).toBe(200)
    expect(r.text).toBe('old')
    expect(oldB.requests.at(-1)?.body.equals(payload)).toBe(true)
    expect(oldB.requests.at(-1)?.headers.host).toBe(CLIENT_HOST)
  })
})

describe('client certificates under TLS 1.3 (refused after our side finished its handshake)', () => {
  test('mTLS over TLS 1.3: the client certificate is presented and accepted', async () => {
    const r = await get('/mtls13/a', 'POST', Buffer.alloc(32 * 1024, 0x62))
    expect(r.status).toBe(200)
    expect(r.text).toBe('mtls13')
    expect(mtls13.seen.at(-1)).toMatchObject({ clientCert: 'sluice-client', bodyBytes: 32 * 1024 })
    const viaOpenssl = await get('/alert-mtls/a')
    expect(viaOpenssl.status).toBe(200)
  })

  test('an OpenSSL server that refuses with an alert (certificate_required): 502 upstream_tls, the log names the alert', async () => {
    const before = dp.outcomes.length
    const r = await get('/alert-no-cert/a')
    expect(r.status).toBe(502)
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'upstream_tls' } })
    const [o] = (await waitForOutcomes(dp, before + 1)).slice(before)
    expect(o).toMatchObject({ name: 'alert-no-cert', status: 502, error: 'tls' })
    expect(logLines.some((l) => l.includes('alert-no-cert') && l.includes('tlsv13 alert certificate required (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)'))).toBe(true)
  })

  test('a client certificate from a CA the server does not trust: 502 upstream_tls (unknown CA alert)', async () => {
    const r = await get('/alert-stranger/a')
    expect(r.status).toBe(502)
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'upstream_tls' } })
    expect(logLines.some((l) => l.includes('alert-stranger') && l.includes('ALERT_UNKNOWN_CA'))).toBe(true)
  })

  test('on new, the refusal falls back to old for a request without a body; a started body is not re-sent', async () => {
    const before = dp.outcomes.length
    const r = await get('/alert-fallback/a')
    expect(r.status).toBe(200)
    expect(r.text).toBe('old')
    const [o] = (await waitForOutcomes(dp, before + 1)).slice(before)
    expect(o).toMatchObject({ side: 'new', servedBy: 'old', status: 200, error: 'tls', fellBack: true })

    const posted = await get('/alert-fallback/b', 'POST', Buffer.alloc(1024, 0x63))
    expect(posted.status).toBe(502)
    expect(JSON.parse(posted.text)).toMatchObject({ error: { code: 'upstream_tls' } })
  })

  test("Node's https.Server refusing a missing certificate under TLS 1.3 likewise: 502 upstream_tls, not upstream_reset", async () => {
    const before = dp.outcomes.length
    const r = await get('/mtls13-no-cert/a')
    expect(r.status).toBe(502)
    expect(JSON.parse(r.text)).toMatchObject({ error: { code: 'upstream_tls' } })
    const [o] = (await waitForOutcomes(dp, before + 1)).slice(before)
    expect(o).toMatchObject({ status: 502, error: 'tls', fellBack: false })
    expect(logLines.some((l) => l.includes('mtls13-no-cert') && l.includes('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'))).toBe(true)
  })
})
