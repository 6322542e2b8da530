import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderSchemaJson } from '../../../src/config/schema.js'
import { SCHEMA_FILE, writeSchema } from '../../../src/config/write-schema.js'

describe('config/sluice.schema.json', () => {
  it('is what schema.ts generates', async () => {
    const committed = await readFile('config/sluice.schema.json', 'utf8')
    const fresh = renderSchemaJson()
    if (committed !== fresh) {
      throw new Error('config/sluice.schema.json is out of date with src/config/schema.ts: run `npm run build && npm run schema` and commit the result')
    }
    expect(committed).toBe(fresh)
  })

  it('is written to the package root by the script, wherever it runs from', async () => {
    expect(SCHEMA_FILE).toBe(join(process.cwd(), 'config', 'sluice.schema.json'))
    const dir = await mkdtemp(join(tmpdir(), 'sluice-schema-'))
    try {
      const file = writeSchema(join(dir, 'schema.json'))
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ $schema: 'http://json-schema.org/draft-07/schema#', additionalProperties: false })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('never uses multipleOf (Ajv rejects 0.29 and 33.33 with multipleOf: 0.01)', () => {
    expect(renderSchemaJson()).not.toContain('multipleOf')
  })
})
