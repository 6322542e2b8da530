/** Where commands write; injectable so tests can run commands in-process. */
export interface Io {
  out(text: string): void
  err(text: string): void
  /** stdout is a terminal: `--watch` clears and redraws instead of appending frames. */
  readonly isTTY?: boolean
}

export const processIo: Io = {
  out: (text) => { process.stdout.write(text.endsWith('\n') ? text : `${text}\n`) },
  err: (text) => { process.stderr.write(text.endsWith('\n') ? text : `${text}\n`) },
  isTTY: process.stdout.isTTY === true,
}

/** A plain left-aligned text table: header row, then one row per item. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}
