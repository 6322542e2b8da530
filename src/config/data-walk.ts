/** Small readers of not-yet-validated config data (anything may be missing or of the wrong type). */

export function field(v: unknown, key: string): unknown {
  return v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined
}

/** Entries of a list (index keys) or a mapping; nothing for anything else. */
export function entries(v: unknown): [string | number, unknown][] {
  if (Array.isArray(v)) return v.map((item, i) => [i, item])
  return v !== null && typeof v === 'object' ? Object.entries(v) : []
}

/** "ENOENT: no such file or directory, open '/abs/x.yaml'" → "ENOENT: no such file or directory". */
export function fsReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.replace(/, \w+( '.*')?$/, '')
}
