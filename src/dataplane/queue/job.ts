import { createHash } from 'node:crypto'
import type { KeySource } from '../../config/types.js'
import type { KeyReader } from '../../core/types.js'
import type { Job } from './types.js'

/**
 * Job ids and sticky keys from a job's body. The body is parsed once (by the source, or by
 * JobRouter.add) and the parsed value is kept on the Job, so neither the id nor the sticky key
 * costs a second parse.
 */

/**
 * A content-derived id keeps 128 of sha256's 256 bits: collision-free in practice for any queue,
 * and half as long in every sink key (BullMQ stores one hash per job id).
 */
const CONTENT_ID_HEX = 32
export const CONTENT_ID_PREFIX = 'sha256-'

/** The parsed body, or undefined when the text is not JSON (such a job is still routed, keyless). */
export function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** The body's own `id` key: a non-empty string, or a finite number written as a string. */
export function bodyId(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  return scalarText((data as Record<string, unknown>).id)
}

/**
 * The id of a list element that carries none: `sha256-` and the first 32 hex digits of the
 * sha256 of the element text. Deterministic, so a job re-delivered after a crash keeps its id and
 * the sinks' duplicate filters recognise it. (Two identical elements are therefore one job.)
 */
export function contentId(text: string): string {
  return CONTENT_ID_PREFIX + createHash('sha256').update(text).digest('hex').slice(0, CONTENT_ID_HEX)
}

export function makeJob(body: string, raw: unknown, data: unknown, id: string): Job {
  return { id, body, data, raw }
}

/**
 * The value of `json:FIELD` in a parsed body: the top-level key FIELD, else (when FIELD has dots
 * and no such key exists) the nested path. Strings, numbers and booleans count; an empty string,
 * null, an object or an absent field is no key.
 */
export function readField(data: unknown, field: string): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const obj = data as Record<string, unknown>
  if (field in obj || !field.includes('.')) return scalarText(obj[field])
  let at: unknown = obj
  for (const part of field.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined
    at = (at as Record<string, unknown>)[part]
  }
  return scalarText(at)
}

/** The first present sticky source's value; only `json:` sources exist for a job. */
export function stickyKey(sources: readonly KeySource[], data: unknown): string | undefined {
  for (let i = 0; i < sources.length; i++) {
    const s = sources[i]!
    const v = s.kind === 'json' ? readField(data, s.field) : undefined
    if (v !== undefined) return v
  }
  return undefined
}

/** Reads a group's own `key:` source from the job body (core/decide asks only for such groups). */
export function jobKeyReader(data: unknown): KeyReader {
  return { read: (s) => (s.kind === 'json' ? readField(data, s.field) : undefined) }
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 0 ? v : undefined
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined
  if (typeof v === 'boolean') return String(v)
  return undefined
}
