/** A JSON object (any non-null object but an array): untyped input is checked with this before its fields are read. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
