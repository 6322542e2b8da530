import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'
import { describe, expect, it } from 'vitest'

/**
 * The module rules the README's Development section describes live in .dependency-cruiser.cjs:
 * imports only point down the layers (util → config → core → state → observe → dataplane | control
 * → admin → cli/app), dataplane and control never import each other, no import cycle of any kind
 * (type-only ones included), core/ imports no packages, prom-client only in observe/metrics/, the
 * Redis/queue clients load lazily, no orphan modules, src never imports test/. This test runs that
 * configuration over src (as `npm run lint` does) and over a fixture tree that breaks every rule
 * once, so a rule that stopped matching would show here. What dependency-cruiser cannot see
 * (calls, not imports) is checked on the source text below.
 */
const ROOT = resolve(import.meta.dirname, '../..')
const SRC = join(ROOT, 'src')
const FIXTURE = 'test/fixtures/architecture'

/** The rule violations a cruise of `dir` finds, as 'rule: from → to'; `baseDir` roots the paths. */
async function violations(dir: string, baseDir = ROOT): Promise<string[]> {
  const options = await extractDepcruiseOptions(join(ROOT, '.dependency-cruiser.cjs'))
  // packages resolve from the repository's node_modules, also for the fixture tree rooted below it
  const resolveOptions = { modules: [join(ROOT, 'node_modules'), 'node_modules'] }
  const tsConfig = extractTSConfig(join(ROOT, 'tsconfig.json'))
  const { output } = await cruise([dir], { ...options, baseDir }, resolveOptions, { tsConfig })
  return (output as ICruiseResult).summary.violations
    .map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')}`)
    .sort()
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [relative(SRC, path)] : []
  })
}

const READS_CLOCK_OR_RANDOMNESS = /Date\.now\(|Math\.random\(|setTimeout\(|setInterval\(/
const CALLS_EXIT = /process\.exit\(/
const files = sourceFiles(SRC)
const text = (file: string): string => readFileSync(join(SRC, file), 'utf8')

describe('architecture', () => {
  it('src keeps every rule of .dependency-cruiser.cjs', async () => {
    expect(await violations('src')).toEqual([])
  })

  it('each rule fails on the module in the fixture tree that breaks it (type-only cycles included)', async () => {
    expect(await violations('src', join(ROOT, FIXTURE))).toEqual([
      'core-is-pure: src/core/uses-io.ts → fs',
      'core-is-pure: src/core/uses-io.ts → yaml',
      'layer-dataplane: src/dataplane/imports-control.ts → src/control/ok-control.ts',
      'layer-unknown-target: src/config/imports-no-layer.ts → src/misc/leaf.ts',
      'layer-unknown: src/misc/no-layer.ts → src/util/ok-base.ts',
      'layer-util: src/util/imports-up.ts → src/config/ok-config.ts',
      'lazy-packages-load-lazily: src/dataplane/queue/eager-redis.ts → ioredis',
      'no-circular: src/state/type-cycle-a.ts → src/state/type-cycle-b.ts',
      'no-orphans: src/util/orphan.ts → src/util/orphan.ts',
      'not-to-unresolvable: src/cli/unresolvable.ts → ./missing.js',
      'prom-client-only-in-metrics: src/observe/counts.ts → prom-client',
      'src-not-to-dev-dep: src/cli/dev-dependency.ts → vitest',
      'src-not-to-test: src/admin/imports-test.ts → test/helper.ts',
    ])
  })

  it('the core is pure: no clock, no randomness (injected instead)', () => {
    expect(files.filter((f) => f.startsWith('core/') && READS_CLOCK_OR_RANDOMNESS.test(text(f)))).toEqual([])
  })

  it('only main.ts calls process.exit', () => {
    expect(files.filter((f) => CALLS_EXIT.test(text(f)))).toEqual(['main.ts'])
  })

  it('the text checks see what they look for', () => {
    const bad = ['Date.now()', 'Math.random()', 'setTimeout(f, 1)', 'setInterval(f, 1)']
    expect(bad.filter((t) => READS_CLOCK_OR_RANDOMNESS.test(t))).toEqual(bad)
    expect(READS_CLOCK_OR_RANDOMNESS.test('now()')).toBe(false)
    expect(CALLS_EXIT.test('process.exit(1)')).toBe(true)
    expect(CALLS_EXIT.test('process.exitCode = 1')).toBe(false)
  })
})
