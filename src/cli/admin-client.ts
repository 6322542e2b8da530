import { Agent, request, type Dispatcher } from 'undici'
import type { CliOptions } from './command.js'
import { EXIT } from './exit-codes.js'

export interface AdminTarget {
  url: string
  token: string | undefined
  /**
   * PEM of the CA(s) that signed an https admin plane's certificate (`--cacert`), replacing the
   * system ones as curl's --cacert does; undefined = the system CAs plus NODE_EXTRA_CA_CERTS.
   */
  ca?: string | undefined
}

/** The admin plane the command line names: --admin, --token, --cacert (or their environment variables). */
export function adminTarget(opts: Pick<CliOptions, 'admin' | 'token' | 'adminCa'>): AdminTarget {
  return { url: opts.admin, token: opts.token, ca: opts.adminCa }
}

/** The CLI makes a handful of calls (a `wait` polls): one agent per CA text is enough. */
let caAgent: { ca: string; agent: Dispatcher } | undefined

/** The dispatcher for calls that trust `ca`; undefined = undici's global one. */
export function adminDispatcher(ca: string | undefined): Dispatcher | undefined {
  if (ca === undefined) return undefined
  if (caAgent?.ca !== ca) caAgent = { ca, agent: new Agent({ connect: { ca } }) }
  return caAgent.agent
}

/** An admin call that did not succeed, with the exit code the CLI should end with. */
export class AdminCallError extends Error {
  constructor(message: string, readonly exitCode: number, readonly status?: number, readonly code?: string) {
    super(message)
  }
}

const TIMEOUT_MS = 10_000

/** Call the admin API; resolves with the parsed JSON body on 2xx, else throws AdminCallError. */
export async function callAdmin(target: AdminTarget, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (target.token) headers.authorization = `Bearer ${target.token}`
  // Every state-changing call says JSON, with or without a body: the admin plane answers 415 otherwise.
  if (method !== 'GET') headers['content-type'] = 'application/json'
  let res
  try {
    const dispatcher = adminDispatcher(target.ca)
    res = await request(new URL(path, target.url), {
      method, headers, body: body === undefined ? null : JSON.stringify(body),
      headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS, ...(dispatcher ? { dispatcher } : {}),
    })
  } catch (err) {
    throw new AdminCallError(unreachableMessage(target.url, err), EXIT.unreachable)
  }
  const text = await res.body.text()
  const json = parseJson(text)
  if (res.statusCode >= 200 && res.statusCode < 300) return json
  const apiError = (json as { error?: { code?: string; message?: string } } | undefined)?.error
  if (res.statusCode === 401) {
    const hint = target.token ? 'the token was refused' : 'the admin plane needs a token: pass --token or set SLUICE_ADMIN_TOKEN'
    throw new AdminCallError(`unauthorized: ${hint}`, EXIT.unreachable, 401, apiError?.code)
  }
  throw new AdminCallError(apiError?.message ?? `admin plane answered ${res.statusCode}`, EXIT.refused, res.statusCode, apiError?.code)
}

/**
 * Why the admin plane could not be reached, with the likely fix: a certificate the CLI does not
 * trust wants --cacert; one for another name, another --admin address; an expired one, renewing.
 * A plain-HTTP call to an HTTPS plane is cut by the server (it sees no TLS handshake), which looks
 * like a reset; an https call to a plain plane fails the handshake.
 */
export function unreachableMessage(url: string, err: unknown): string {
  const code = err instanceof Error ? (err as NodeJS.ErrnoException).code : undefined
  const why = err instanceof Error ? (code ?? err.message) : String(err)
  const base = `cannot reach the admin plane at ${url} (${why})`
  if (url.startsWith('https:') && code !== undefined && CERT_TRUST_CODES.has(code)) {
    return `${base}: its certificate is not trusted; pass --cacert FILE (or SLUICE_ADMIN_CACERT) with the CA that signed it`
  }
  if (url.startsWith('https:') && code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `${base}: its certificate does not name this address; use an --admin URL with a name the certificate lists`
  }
  if (url.startsWith('https:') && (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')) {
    return `${base}: its certificate is outside its validity dates; renew the files of admin.listen.tls and reload`
  }
  if (url.startsWith('https:') && code !== undefined && /^ERR_(SSL|TLS)_/.test(code)) {
    return `${base}: the TLS handshake failed; does the admin plane speak HTTPS (admin.listen with tls)?`
  }
  if (url.startsWith('http:') && code !== undefined && RESET_CODES.has(code)) {
    return `${base}; if the admin plane speaks HTTPS (admin.listen with tls), use --admin https://…`
  }
  return `${base}; is sluice running? (--admin URL)`
}

const CERT_TRUST_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
])
const RESET_CODES: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'])

function parseJson(text: string): unknown {
  try {
    return text.length > 0 ? JSON.parse(text) : undefined
  } catch {
    return undefined
  }
}

/** GET/PUT on a route or a queue by name: routes first, then queues (names may be either). */
export async function callTarget(target: AdminTarget, method: 'GET' | 'PUT' | 'POST', name: string, suffix: string, body?: unknown): Promise<unknown> {
  const id = encodeURIComponent(name)
  try {
    return await callAdmin(target, method, `/api/routes/${id}${suffix}`, body)
  } catch (err) {
    if (!(err instanceof AdminCallError) || err.status !== 404 || err.code !== 'not_found') throw err
    try {
      return await callAdmin(target, method, `/api/queues/${id}${suffix}`, body)
    } catch (err2) {
      if (err2 instanceof AdminCallError && err2.status === 404 && err2.code === 'not_found') {
        throw new AdminCallError(`no route or queue named '${name}'`, EXIT.refused, 404, 'not_found')
      }
      throw err2
    }
  }
}
