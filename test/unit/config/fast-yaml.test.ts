import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import fc from 'fast-check'
import { parseDocument, stringify } from 'yaml'
import { describe, expect, it } from 'vitest'
import { fastYamlData } from '../../../src/config/fast-yaml.js'
import { loadConfigText } from '../../../src/config/index.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const FIXTURES = join(ROOT, 'test/fixtures/configs')

/** What the located load reads from the same text (yaml-source.ts's options). */
function slowData(text: string): unknown {
  return parseDocument(text, { merge: true }).toJS()
}

function yamlFiles(): string[] {
  const inDir = (dir: string) => readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.yaml')).map((f) => join(FIXTURES, dir, f))
  return [join(ROOT, 'examples/sluice.yaml'), ...inDir('valid'), ...inDir('invalid')]
}

describe('fastYamlData (the fast parse of a config file)', () => {
  it('reads every shipped and fixture config it accepts exactly as the located parse does', () => {
    let accepted = 0
    for (const file of yamlFiles()) {
      const text = readFileSync(file, 'utf8')
      const fast = fastYamlData(text)
      if (fast === undefined) continue
      accepted++
      expect(fast, file).toEqual(slowData(text))
    }
    expect(accepted).toBeGreaterThan(30)
  })

  it('reads any YAML the yaml package writes as the yaml package reads it back', () => {
    const key = fc.string({ minLength: 1, maxLength: 12 })
    const scalar = fc.oneof(
      fc.string({ maxLength: 20 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(), fc.constant(null),
      fc.constantFrom('yes', 'no', 'on', 'off', '0o17', '0x1F', '1e3', '.inf', '~', '2026-11-26', '12:30', '010'),
    )
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4 })),
    })).node
    fc.assert(fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }), (data) => {
      const text = stringify(data)
      if (text.includes('${')) return
      expect(fastYamlData(text)).toEqual(slowData(text))
    }), { numRuns: 500, seed: 22 })
  })

  it('leaves to the located parse what needs it: interpolation, aliases and anything js-yaml refuses', () => {
    expect(fastYamlData('routes: []\nx: ${PCT:-5}\n')).toBeUndefined()
    expect(fastYamlData('a: &base { x: 1 }\nb:\n  <<: *base\n  y: 2\n')).toBeUndefined()
    expect(fastYamlData('a: [1, 2\n')).toBeUndefined()
    expect(fastYamlData('a: 1\na: 2\n')).toBeUndefined()
    expect(fastYamlData('a: 1\n---\nb: 2\n')).toBeUndefined()
    expect(fastYamlData('a: 1\nb: { c: 2 }\n')).toEqual({ a: 1, b: { c: 2 } })
  })

  it('a config that fails on the fast path is loaded again and its problem located', async () => {
    const text = 'routes:\n  - name: app\n    old: http://127.0.0.1:1\n    new: http://127.0.0.1:2\n    percent: 101\n'
    expect(fastYamlData(text)).toBeDefined()
    const loaded = await loadConfigText(text, 'sluice.yaml')
    expect(loaded.ok).toBe(false)
    if (loaded.ok) return
    expect(loaded.problems[0]).toMatchObject({ file: 'sluice.yaml', line: 5, path: 'routes.0.percent' })
  })
})
