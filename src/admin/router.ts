import type { IncomingMessage } from 'node:http'
import { SluiceError } from '../util/errors.js'
import type { Reply } from './reply.js'

export interface AdminRequest {
  readonly raw: IncomingMessage
  readonly path: string
  readonly query: URLSearchParams
  /** Values of `:name` segments, URL-decoded. */
  readonly params: Readonly<Record<string, string>>
}

export type Handler = (req: AdminRequest) => Reply | Promise<Reply>

export type Match =
  | { readonly kind: 'found'; readonly handler: Handler; readonly params: Record<string, string> }
  | { readonly kind: 'method'; readonly allow: readonly string[] }
  | { readonly kind: 'none' }

interface Entry {
  readonly segments: readonly string[]
  readonly handlers: Map<string, Handler>
}

/**
 * A tiny exact-segment router: `/api/routes/:name/percent`. Enough for the admin plane's dozen
 * endpoints; a path that matches with another method gives the `allow` list for a 405.
 */
export class Router {
  readonly #entries: Entry[] = []

  add(method: string, pattern: string, handler: Handler): this {
    const segments = split(pattern)
    let entry = this.#entries.find((e) => e.segments.join('/') === segments.join('/'))
    if (entry === undefined) {
      entry = { segments, handlers: new Map() }
      this.#entries.push(entry)
    }
    entry.handlers.set(method, handler)
    return this
  }

  /**
   * Every registered method and pattern (`/api/routes/:name`), in registration order: what
   * docs/openapi.yaml must list.
   */
  routes(): Array<{ readonly method: string; readonly pattern: string }> {
    return this.#entries.flatMap((e) => [...e.handlers.keys()].map((method) => ({ method, pattern: `/${e.segments.join('/')}` })))
  }

  match(method: string, path: string): Match {
    const parts = split(path)
    const allow = new Set<string>()
    for (const entry of this.#entries) {
      const params = matchSegments(entry.segments, parts)
      if (params === undefined) continue
      const handler = entry.handlers.get(method)
      if (handler !== undefined) return { kind: 'found', handler, params }
      for (const m of entry.handlers.keys()) allow.add(m)
    }
    return allow.size > 0 ? { kind: 'method', allow: [...allow] } : { kind: 'none' }
  }
}

function split(path: string): string[] {
  return path === '/' ? [''] : path.split('/').slice(1)
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    const v = parts[i]!
    if (p.startsWith(':')) {
      if (v === '') return undefined
      params[p.slice(1)] = decode(v)
    } else if (p !== v) {
      return undefined
    }
  }
  return params
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `'${segment}' is not a valid URL path segment`)
  }
}
