import type { KeySource } from './types.js'

/** Parse "header:x-user-id" and friends (config text → KeySource); returns an error message for anything else. */
export function parseKeySource(text: string): KeySource | string {
  if (text === 'ip') return { kind: 'ip' }
  const colon = text.indexOf(':')
  const kind = colon < 0 ? text : text.slice(0, colon)
  const name = colon < 0 ? '' : text.slice(colon + 1)
  if (!['header', 'cookie', 'query', 'json'].includes(kind)) {
    return `'${text}' is not a key source: use header:NAME, cookie:NAME, query:NAME, json:FIELD or ip`
  }
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) return `'${text}' needs a name after '${kind}:'`
  if (kind === 'header') return { kind, name: name.toLowerCase() }
  if (kind === 'json') return { kind, field: name }
  return { kind: kind as 'cookie' | 'query', name }
}

/**
 * The sticky sources plus the assigned id cookie (`assignCookie`) when they do not name it already:
 * an assigned id is a key like any other, read back on the client's next requests.
 */
export function withAssignedCookie(sticky: readonly KeySource[], cookie: string | undefined): readonly KeySource[] {
  if (cookie === undefined || sticky.some((s) => s.kind === 'cookie' && s.name === cookie)) return sticky
  return [...sticky, { kind: 'cookie', name: cookie }]
}

export function formatKeySource(s: KeySource): string {
  return s.kind === 'ip' ? 'ip' : s.kind === 'json' ? `json:${s.field}` : `${s.kind}:${s.name}`
}
