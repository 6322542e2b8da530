import { isRecord } from '../util/is-record.js'

/**
 * Readers of the config as parsed YAML, before it is known to match the schema: the semantic checks
 * run on it too (they report every problem at once), so each field is read defensively.
 */
export type Rec = Readonly<Record<string, unknown>>

/** `v` when it is a mapping, else undefined. */
export function rec(v: unknown): Rec | undefined {
  return isRecord(v) ? v : undefined
}

/** `v` when it is a list, else an empty one. */
export function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : []
}
