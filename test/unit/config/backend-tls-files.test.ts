import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { warnRestartOnly, warnUnverifiedTls } from '../../../src/app/log.js'
import { loadConfigFile } from '../../../src/config/load.js'
import { createLogger } from '../../../src/observe/log.js'
import { sourcesUnchanged } from '../../../src/config/sources.js'
import { createTestCa } from '../../helpers/tls-certs.js'

const pem = (body: string): string => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`

const CONFIG = `routes:
  - name: vendor
    old: http://127.0.0.1:3001
    new:
      url: https://api.vendor.example
      tls: { ca: certs/ca.pem, rejectUnauthorized: false }
`

describe('backend TLS files', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-tls-files-'))
    await writeFile(join(dir, 'sluice.yaml'), CONFIG)
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'certs')))
    await writeFile(join(dir, 'certs/ca.pem'), pem('first'))
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('are read relative to the config file, and a changed file makes the reload re-read it', async () => {
    const file = join(dir, 'sluice.yaml')
    const first = await loadConfigFile(file, {})
    if (!first.ok) throw new Error(JSON.stringify(first.problems))
    expect(first.config.routes[0]!.transport?.new.tls[0]?.ca).toBe(pem('first'))
    expect(await sourcesUnchanged(file, first.sources)).toBe(true)

    await writeFile(join(dir, 'certs/ca.pem'), pem('renewed'))
    expect(await sourcesUnchanged(file, first.sources)).toBe(false)
    const second = await loadConfigFile(file, {})
    expect(second.ok && second.config.routes[0]!.transport?.new.tls[0]?.ca).toBe(pem('renewed'))
  })

  it('a file that went missing is a problem at its key, with line and column', async () => {
    await rm(join(dir, 'certs/ca.pem'))
    const result = await loadConfigFile(join(dir, 'sluice.yaml'), {})
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.problems).toMatchObject([{ line: 6, col: 18, path: 'routes.0.new.tls.ca', message: "cannot read 'certs/ca.pem': ENOENT: no such file or directory" }])
  })

  it('a file that cannot be read (here a directory) is a problem at its key too', async () => {
    await rm(join(dir, 'certs/ca.pem'))
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'certs/ca.pem')))
    const result = await loadConfigFile(join(dir, 'sluice.yaml'), {})
    expect(result.ok ? [] : result.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`))
      .toEqual(["6:18 routes.0.new.tls.ca: cannot read 'certs/ca.pem': EISDIR: illegal operation on a directory"])
  })

  it('rejectUnauthorized: false is a warning naming the route, side and backend', async () => {
    const result = await loadConfigFile(join(dir, 'sluice.yaml'), {})
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    const lines: string[] = []
    warnUnverifiedTls(createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } }), result.config)
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', route: 'vendor', side: 'new', backend: 'https://api.vendor.example' })
    expect(lines[0]).toContain('NOT verified')
  })

  it('listen: { address, tls } reads the listener certificate; a missing one is a problem at its key', async () => {
    await writeFile(join(dir, 'https.yaml'), 'listen: { address: "127.0.0.1:8443", tls: { cert: certs/ca.pem, key: certs/nope.pem } }\n')
    const bad = await loadConfigFile(join(dir, 'https.yaml'), {})
    expect(bad.ok ? [] : bad.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`))
      .toEqual(["1:70 listen.tls.key: cannot read 'certs/nope.pem': ENOENT: no such file or directory"])

    const ca = await createTestCa()
    try {
      const leaf = await ca.issue('listener', ['localhost'])
      await writeFile(join(dir, 'https.yaml'), `listen: { address: "127.0.0.1:8443", tls: { cert: ${leaf.certFile}, key: ${leaf.keyFile} } }\n`)
      const good = await loadConfigFile(join(dir, 'https.yaml'), {})
      if (!good.ok) throw new Error(JSON.stringify(good.problems))
      expect(good.config.listen).toEqual({ host: '127.0.0.1', port: 8443 })
      expect(good.config.listenTls).toEqual({ cert: leaf.cert, key: leaf.key })
    } finally {
      await ca.remove()
    }
  })

  it('admin.listen: { address, tls } likewise; a key of another certificate is a problem at its tls key', async () => {
    const ca = await createTestCa()
    try {
      const [a, b] = [await ca.issue('a', ['localhost']), await ca.issue('b', ['localhost'])]
      const yaml = (key: string): string => `admin:\n  listen:\n    address: 127.0.0.1:8444\n    tls: { cert: ${a.certFile}, key: ${key} }\n`
      await writeFile(join(dir, 'admin.yaml'), yaml(a.keyFile))
      const good = await loadConfigFile(join(dir, 'admin.yaml'), {})
      if (!good.ok) throw new Error(JSON.stringify(good.problems))
      expect(good.config.admin).toMatchObject({ listen: { host: '127.0.0.1', port: 8444 }, tls: { cert: a.cert, key: a.key } })

      await writeFile(join(dir, 'admin.yaml'), yaml(b.keyFile))
      const bad = await loadConfigFile(join(dir, 'admin.yaml'), {})
      expect(bad.ok ? [] : bad.problems.map((p) => `${p.line}:${p.col} ${p.path}`)).toEqual(['4:10 admin.listen.tls'])
      expect(bad.ok ? '' : bad.problems[0]!.message).toMatch(/^cert and key do not make a usable certificate: .*key values mismatch/)

      await writeFile(join(dir, 'client.yaml'), `routes:\n  - name: r\n    old: http://127.0.0.1:1\n    new: { url: https://x.test, tls: { cert: ${a.certFile}, key: ${b.keyFile} } }\n`)
      const client = await loadConfigFile(join(dir, 'client.yaml'), {})
      expect(client.ok ? [] : client.problems.map((p) => `${p.line} ${p.path}`)).toEqual(['4 routes.0.new.tls'])

      await writeFile(join(dir, 'admin.yaml'), 'admin: { listen: { address: 127.0.0.1:8444, tls: { cert: nope.pem, key: nope-key.pem } } }\n')
      const missing = await loadConfigFile(join(dir, 'admin.yaml'), {})
      expect(missing.ok ? [] : missing.problems.map((p) => `${p.line} ${p.path}`)).toEqual(['1 admin.listen.tls.cert', '1 admin.listen.tls.key'])
    } finally {
      await ca.remove()
    }
  })

  it('turning a listener\'s TLS on or off is said to need a restart; a renewed certificate is not', async () => {
    const result = await loadConfigFile(join(dir, 'sluice.yaml'), {})
    if (!result.ok) throw new Error(JSON.stringify(result.problems))
    const plain = result.config
    const tls = { cert: pem('c'), key: pem('k') }
    const both = { ...plain, listenTls: tls, admin: { ...plain.admin, tls } }
    const keys = (prev: typeof plain, next: typeof plain): unknown => {
      const lines: string[] = []
      warnRestartOnly(createLogger({ level: 'warn', destination: { write: (l: string) => void lines.push(l) } }), prev, next)
      return lines.map((l) => (JSON.parse(l) as { keys: string[] }).keys)
    }
    expect(keys(plain, both)).toEqual([['listen.tls', 'admin.listen.tls']])
    expect(keys(both, plain)).toEqual([['listen.tls', 'admin.listen.tls']])
    expect(keys(both, { ...both, admin: { ...both.admin, tls: { cert: pem('renewed'), key: pem('k2') } } })).toEqual([])
  })

  it('a plain listen string has no TLS', async () => {
    const result = await loadConfigFile(join(dir, 'sluice.yaml'), {})
    expect(result.ok && result.config.listenTls).toBeUndefined()
    expect(result.ok && result.config.admin.tls).toBeUndefined()
  })
})
