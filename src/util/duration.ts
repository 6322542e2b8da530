import { SluiceError } from '../errors.js'

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$'
const DURATION_RE = new RegExp(DURATION_PATTERN)

/** "30s" → 30000. Throws SLUICE_ERR_BAD_DURATION for anything else. */
export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text)
  if (!m) throw new SluiceError('SLUICE_ERR_BAD_DURATION', `'${text}' is not a duration: use a number and a unit, like 500ms, 30s, 10m or 1h`)
  const value = Number(text.slice(0, text.length - (m[2] ?? '').length))
  return Math.round(value * (UNIT_MS[m[2] ?? 'ms'] ?? 1))
}

/** 90000 → "1m30s": for logs and the CLI. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  let s = Math.round(ms / 1000)
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`
}
