import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server, type ServerOptions } from 'node:https'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { promisify } from 'node:util'
import { freePort } from '../../src/util/free-port.js'
import { waitFor } from './wait-for.js'

/**
 * A private CA and the leaf certificates tests need, made with the `openssl` command (node:crypto
 * cannot sign X.509). `openssl ca` rather than `x509 -req`: it takes explicit validity dates, so
 * an already expired certificate can be issued (OpenSSL 3.0 has no `-not_after`).
 */

const run = promisify(execFile)

const CA_CONFIG = `[ ca ]
default_ca = CA_default
[ CA_default ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
[ policy_any ]
commonName = supplied
`

export interface Leaf {
  /** Absolute paths, for configs. */
  readonly certFile: string
  readonly keyFile: string
  readonly cert: string
  readonly key: string
}

export interface TestCa {
  /** The temp directory everything is written to (configs may live there too). */
  readonly dir: string
  readonly caFile: string
  readonly ca: string
  /**
   * A leaf for `names` (DNS names, or IP addresses), valid from yesterday for two days unless `dates`
   * says otherwise.
   */
  issue(file: string, names: readonly string[], dates?: { readonly start: string; readonly end: string }): Promise<Leaf>
  remove(): Promise<void>
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']

export async function createTestCa(name = 'sluice-test-ca'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-tls-'))
  await writeFile(join(dir, 'ca.cnf'), CA_CONFIG)
  await writeFile(join(dir, 'index.txt'), '')
  await writeFile(join(dir, 'serial'), '01\n')
  await run('openssl', ['req', '-x509', ...EC, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', `/CN=${name}`, '-days', '3',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { cwd: dir })
  const caFile = join(dir, 'ca.pem')
  return {
    dir,
    caFile,
    ca: await readFile(caFile, 'utf8'),
    issue: (file, names, dates) => issue(dir, file, names, dates ?? validAroundNow()),
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

async function issue(
  dir: string, file: string, names: readonly string[], dates: { start: string; end: string },
): Promise<Leaf> {
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')
  await run('openssl', ['req', '-new', ...EC, '-keyout', `${file}-key.pem`, '-out', `${file}.csr`, '-subj', `/CN=${names[0]}`,
    '-addext', `subjectAltName=${san}`], { cwd: dir })
  await run('openssl', ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca-key.pem', '-in', `${file}.csr`,
    '-out', `${file}.pem`, '-notext', '-startdate', dates.start, '-enddate', dates.end], { cwd: dir })
  const certFile = join(dir, `${file}.pem`)
  const keyFile = join(dir, `${file}-key.pem`)
  return { certFile, keyFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') }
}

/** OpenSSL's YYYYMMDDHHMMSSZ. */
export function opensslDate(d: Date): string {
  return `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`
}

function validAroundNow(): { start: string; end: string } {
  const day = 86_400_000
  return { start: opensslDate(new Date(Date.now() - day)), end: opensslDate(new Date(Date.now() + 2 * day)) }
}

/** What an HTTPS test backend saw of one request. */
export interface TlsSeen {
  readonly servername: string | false | null | undefined
  readonly host: string | undefined
  readonly forwardedHost: string | undefined
  readonly clientCert: string | undefined
  readonly method: string
  readonly bodyBytes: number
}

export interface HttpsBackend {
  readonly name: string
  readonly port: number
  readonly seen: TlsSeen[]
  readonly server: Server
  /** Destroys the accepted connections (sluice's keep-alive ones), leaving the server listening. */
  closeConnections(): Promise<void>
  close(): Promise<void>
}

/** An HTTPS origin on 127.0.0.1 port 0 answering its `name`, recording SNI and headers. */
export async function startHttpsBackend(name: string, options: ServerOptions): Promise<HttpsBackend> {
  const seen: TlsSeen[] = []
  const sockets = new Set<Socket>()
  const server = createServer(options, (req, res) => {
    let bodyBytes = 0
    req.on('data', (c: Buffer) => { bodyBytes += c.length })
    req.on('end', () => {
      const socket = req.socket as TLSSocket
      const peer = socket.getPeerCertificate()
      seen.push({
        servername: socket.servername, host: req.headers.host, forwardedHost: req.headers['x-forwarded-host'] as string | undefined,
        clientCert: peer && 'subject' in peer ? String(peer.subject?.CN) : undefined, method: req.method ?? '', bodyBytes,
      })
      res.end(name)
    })
  })
  server.on('secureConnection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  // Handshake failures are the point of several tests: keep them quiet.
  server.on('tlsClientError', () => {})
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    name, server, seen,
    port: (server.address() as AddressInfo).port,
    closeConnections: async () => {
      for (const s of sockets) s.destroy()
      sockets.clear()
    },
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}

export interface OpensslServer {
  readonly port: number
  close(): Promise<void>
}

/**
 * `openssl s_server -www` on 127.0.0.1 requiring a client certificate from `caFile` (`-Verify 1`, and
 * `-verify_return_error`: one from another CA is refused too):
 * unlike Node's https.Server, which just closes a connection whose certificate it refuses, OpenSSL
 * answers a TLS 1.3 client without one by the certificate_required alert (116) after the client's
 * side of the handshake finished, as servers built on OpenSSL, Go or BoringSSL do. Answers each
 * GET with a status page, one request per connection (HTTP/1.0).
 */
export async function startOpensslServer(leaf: Leaf, caFile: string): Promise<OpensslServer> {
  const port = await freePort()
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', leaf.certFile, '-key', leaf.keyFile,
    '-CAfile', caFile, '-Verify', '1', '-verify_return_error', '-www', '-quiet', '-tls1_3'], { stdio: 'ignore' })
  const exited = once(child, 'exit')
  await waitFor(() => new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
    s.on('error', () => resolve(false))
  }), { message: `openssl s_server on port ${port}` })
  return {
    port,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill()
      await exited
    },
  }
}
