import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderSchemaJson } from './schema.js'

/**
 * Writes config/sluice.schema.json from schema.ts: `npm run build && npm run schema`.
 * The path is resolved from this module's own location (src/config or dist/config, both two
 * levels below the package root), so the script works from any working directory.
 */
export const SCHEMA_FILE = fileURLToPath(new URL('../../config/sluice.schema.json', import.meta.url))

/** Write the schema file; returns the path written. */
export function writeSchema(file: string = SCHEMA_FILE): string {
  writeFileSync(file, renderSchemaJson())
  return file
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (invokedDirectly) process.stdout.write(`wrote ${writeSchema()}\n`)
