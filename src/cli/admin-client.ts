import { request } from 'undici'
import { EXIT } from './exit-codes.js'

export interface AdminTarget {
  url: string
  token: string | undefined
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
    res = await request(new URL(path, target.url), {
      method, headers, body: body === undefined ? null : JSON.stringify(body),
      headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS,
    })
  } catch (err) {
    const why = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err)
    throw new AdminCallError(`cannot reach the admin plane at ${target.url} (${why}); is sluice running? (--admin URL)`, EXIT.unreachable)
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
