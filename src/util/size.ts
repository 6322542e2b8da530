import { SluiceError } from './errors.js'

/** Byte units, binary (KiB = 1024) and decimal (KB = 1000), as the config accepts them. */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  B: 1, KB: 1_000, KiB: 1024, MB: 1_000_000, MiB: 1024 ** 2, GB: 1_000_000_000, GiB: 1024 ** 3,
}
export const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?(B|KB|KiB|MB|MiB|GB|GiB)$'
const SIZE_RE = new RegExp(SIZE_PATTERN)

/** "1MiB" → 1048576, "100KB" → 100000, a plain integer → itself. Throws SLUICE_ERR_CONFIG_INVALID for anything else. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value
  const text = String(value)
  const m = SIZE_RE.exec(text)
  if (!m) throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `'${text}' is not a size: use bytes or a number and a unit, like 65536, 512KiB or 1MiB`)
  const unit = m[2] ?? 'B'
  return Math.round(Number(text.slice(0, text.length - unit.length)) * (UNIT_BYTES[unit] ?? 1))
}
