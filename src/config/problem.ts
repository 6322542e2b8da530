/**
 * One thing wrong with a configuration file, located for a human: `sluice validate` prints one
 * `formatProblem` line per problem, the format compilers use so editors and CI annotate the line.
 */
export interface Problem {
  /** The file as the user named it (on the command line), not resolved. */
  readonly file: string
  /** 1-based. */
  readonly line: number
  /** 1-based. */
  readonly col: number
  /** Dotted path of the key, like `routes.0.timeouts.connect`; '' for the file as a whole. */
  readonly path: string
  readonly message: string
}

/** A key path inside the document: map keys and list indexes. */
export type KeyPath = readonly (string | number)[]

/** A problem before it has a position: what the checks produce. */
export interface Finding {
  readonly path: KeyPath
  readonly message: string
  /** Point at the key itself (unknown keys) rather than at its value. */
  readonly at?: 'key' | 'value'
}

/**
 * `FILE:LINE:COL: path.to.key: message`, or `FILE:LINE:COL: message` for a problem with the
 * whole file (unreadable, empty, YAML syntax).
 */
export function formatProblem(p: Problem): string {
  const where = `${p.file}:${p.line}:${p.col}:`
  return p.path === '' ? `${where} ${p.message}` : `${where} ${p.path}: ${p.message}`
}

/** `['routes', 0, 'old']` → `routes.0.old`. */
export function pathText(path: KeyPath): string {
  return path.join('.')
}

/** By line, then column; problems at the same place keep their order. Drops exact duplicates. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>()
  const unique = problems.filter((p) => {
    const line = formatProblem(p)
    if (seen.has(line)) return false
    seen.add(line)
    return true
  })
  return unique.sort((a, b) => a.line - b.line || a.col - b.col)
}
