import { Ajv, type ValidateFunction } from 'ajv'
import { findingFromAjv } from './messages.js'
import { pathText, type Finding, type Problem } from './problem.js'
import { configSchema } from './schema.js'
import { semanticFindings } from './semantic.js'
import { locate, type YamlSource } from './yaml-source.js'

let compiled: ValidateFunction | undefined

/** Compiled once, on first use: compiling costs a few milliseconds that a reload need not pay again. */
function schemaValidator(): ValidateFunction {
  compiled ??= new Ajv({
    allErrors: true, // every problem in one run, not the first
    useDefaults: true, // the schema's `default`s are the only defaults
    verbose: true, // errors carry the data and the parent schema, for the messages
    strict: true,
    allowUnionTypes: true, // `old: URL | [URL]` and `outside: hold | percent`
  }).compile(configSchema)
  return compiled
}

const EMPTY_FILE = 'the file is empty: it needs at least a routes: or a queues: list'

/**
 * Check the parsed file against the schema, then the semantic rules; every problem located at its
 * line and column in `source`. As a side effect, fills the schema's defaults into `data`.
 * `skipValuesAt` lists key paths (dotted) whose values are known to be wrong already (an unset
 * `${VAR}`): problems with those values are dropped, problems with the keys themselves are not.
 */
export function validate(data: unknown, source: YamlSource, skipValuesAt: ReadonlySet<string> = new Set()): Problem[] {
  return validationFindings(data, skipValuesAt).map((f) => locate(source, f))
}

/** The same problems, not yet located: the fast load (fast-yaml.ts) has no positions to give them. */
export function validationFindings(data: unknown, skipValuesAt: ReadonlySet<string> = new Set()): Finding[] {
  if (data === null || data === undefined) return [{ path: [], message: EMPTY_FILE }]
  const check = schemaValidator()
  check(data)
  const findings: Finding[] = []
  for (const error of check.errors ?? []) {
    const finding = findingFromAjv(error)
    if (finding) findings.push(finding)
  }
  findings.push(...semanticFindings(data))
  return findings.filter((f) => f.at === 'key' || !skipValuesAt.has(pathText(f.path)))
}
