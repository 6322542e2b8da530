import { isMap, isScalar, isSeq, Scalar, type Node } from 'yaml'
import type { Finding, KeyPath } from './problem.js'

/** What the environment looks like to interpolation (process.env or a test's object). */
export type Env = Readonly<Record<string, string | undefined>>

// `${NAME}`, `${NAME:-default}`, `$${…}` (a literal `${…}`), or an unclosed `${`.
const REFERENCE = /\$(\$?)\{([^}]*)\}|\$\{/g
const INNER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^]*))?$/
const HINT = 'use ${NAME} or ${NAME:-default}'

/**
 * Replace `${VAR}` and `${VAR:-default}` in the document's scalar values, in place. Keys and
 * structure are never interpolated (a value cannot inject YAML). `:-` uses the default when the
 * variable is unset or empty, as the shell does. A plain (unquoted) scalar is re-typed after
 * substitution, so `percent: ${PCT:-5}` is the number 5; a quoted one stays a string.
 * Returns one finding per value that references an unset variable or is malformed.
 */
export function interpolate(root: Node | null, env: Env): Finding[] {
  const findings: Finding[] = []
  visitValues(root, [], (scalar, path) => {
    const problem = substitute(scalar, env)
    if (problem) findings.push({ path, message: problem })
  })
  return findings
}

function visitValues(node: unknown, path: KeyPath, fn: (s: Scalar, path: KeyPath) => void): void {
  if (isScalar(node)) fn(node, path)
  else if (isSeq(node)) node.items.forEach((item, i) => visitValues(item, [...path, i], fn))
  else if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?'
      visitValues(pair.value, [...path, key], fn)
    }
  }
  // Aliases are skipped: their anchor is visited where it is defined.
}

/** Interpolate one scalar; returns a problem message or undefined. */
function substitute(scalar: Scalar, env: Env): string | undefined {
  if (typeof scalar.value !== 'string' || !scalar.value.includes('${')) return undefined
  let problem: string | undefined
  const text = scalar.value.replace(REFERENCE, (whole, escaped: string | undefined, inner: string | undefined) => {
    const r = resolve(whole, escaped, inner, env)
    if (typeof r !== 'string') problem ??= r.problem
    return typeof r === 'string' ? r : whole
  })
  if (problem !== undefined) return problem
  scalar.value = scalar.type === Scalar.PLAIN ? retype(text) : text
  return undefined
}

function resolve(
  whole: string, escaped: string | undefined, inner: string | undefined, env: Env,
): string | { problem: string } {
  if (inner === undefined) return { problem: `'\${' is not closed: ${HINT}` }
  if (escaped === '$') return whole.slice(1)
  const m = INNER.exec(inner)
  if (!m?.[1]) return { problem: `'${whole}' is not a variable reference: ${HINT}` }
  const value = env[m[1]]
  if (m[2] !== undefined) return value === undefined || value === '' ? m[2] : value
  return value ?? { problem: `environment variable ${m[1]} is not set (give a default with \${${m[1]}:-default})` }
}

const NUMBER = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/
const BOOLEAN: Readonly<Record<string, boolean>> = {
  true: true, True: true, TRUE: true, false: false, False: false, FALSE: false,
}

/** Numbers and booleans as YAML 1.2's core schema reads them; anything else stays text. */
function retype(text: string): string | number | boolean {
  if (NUMBER.test(text)) return Number(text)
  return BOOLEAN[text] ?? text
}
