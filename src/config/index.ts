/**
 * The config layer's public API: load a YAML file into a validated, normalised, deep-frozen
 * `Config`, or into located problems; compare two loaded files' intent for the reload rule.
 */
export { loadConfigFile, loadConfigText, MEMORY_FILE, type LoadResult } from './load.js'
export { formatProblem, type Problem } from './problem.js'
export { sourcesUnchanged, type ConfigSources, type FileStamp } from './sources.js'
export { diffFileIntent, type FileIntentDiff, type TargetIntent, type TargetKey } from './diff.js'
export { configSchema, renderSchemaJson } from './schema.js'
export { SIDES } from './types.js'
export type * from './types.js'
