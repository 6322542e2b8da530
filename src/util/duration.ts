import { SluiceError } from './errors.js'

const NUMBER = '[0-9]+(?:\\.[0-9]+)?'
/** Units from largest to smallest: a compound duration names each at most once, in this order. */
const UNITS: ReadonlyArray<readonly [string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]]
/**
 * One or more number-unit parts, largest unit first, as Prometheus, Flagger and Argo users write
 * them: `500ms`, `30s`, `1h30m`, `2m30s`, `1d`, `1.5h`. The JSON schema uses the same pattern, so an
 * editor, `sluice validate` and parseDuration agree on every input.
 */
export const DURATION_PATTERN = `^(?=[0-9])${UNITS.map(([unit]) => `(?:(${NUMBER})${unit})?`).join('')}$`
const DURATION_RE = new RegExp(DURATION_PATTERN)

/** "30s" → 30000, "1h30m" → 5400000. Throws SLUICE_ERR_BAD_DURATION for anything else. */
export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text)
  if (!m) throw new SluiceError('SLUICE_ERR_BAD_DURATION', `'${text}' is not a duration: use numbers with units, largest first, like 500ms, 30s, 10m, 1h30m or 1d`)
  let total = 0
  UNITS.forEach(([, ms], i) => { total += Number(m[i + 1] ?? 0) * ms })
  return Math.round(total)
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
