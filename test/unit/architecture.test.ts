import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The layering the README's Development section describes, enforced: imports only point down
 * (util → config → core → state → observe → dataplane | control → admin → cli/app),
 * dataplane and control never import each other, and there are no import cycles (type-only ones included).
 */
const SRC = resolve(import.meta.dirname, '../../src')

const LAYERS: ReadonlyArray<[RegExp, string, number]> = [
  [/^util\//, 'base', 0],
  [/^config\//, 'config', 1],
  [/^core\//, 'core', 2],
  [/^state\//, 'state', 3],
  [/^observe\//, 'observe', 4],
  [/^dataplane\//, 'dataplane', 5],
  [/^control\//, 'control', 5],
  [/^admin\//, 'admin', 6],
  [/^(cli\/|app\/|main\.ts$|index\.ts$)/, 'edge', 7],
]

function layerOf(file: string): { name: string; rank: number } {
  const hit = LAYERS.find(([re]) => re.test(file))
  if (!hit) throw new Error(`${file} is in no layer: add it to test/unit/architecture.test.ts`)
  return { name: hit[1], rank: hit[2] }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [relative(SRC, path)] : []
  })
}

const IMPORT_RE = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|(typeof\s+)?import\(\s*['"]([^'"]+)['"]\s*\)/g

/**
 * `local` holds every relative import; `runtime` only those that survive compilation (not `import type`);
 * `packages` every package named, `runtimePackages` those loaded when the module is.
 */
function importsOf(file: string): { local: string[]; runtime: string[]; packages: string[]; runtimePackages: string[] } {
  return importsOfText(file, readFileSync(join(SRC, file), 'utf8'))
}

function importsOfText(file: string, text: string): { local: string[]; runtime: string[]; packages: string[]; runtimePackages: string[] } {
  const local: string[] = []
  const runtime: string[] = []
  const packages: string[] = []
  const runtimePackages: string[] = []
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[3] ?? m[5]!
    // `import type … from` and `typeof import('…')` are erased at compile time.
    const typeOnly = m[2] !== undefined || m[4] !== undefined
    if (!spec.startsWith('.')) {
      packages.push(spec)
      if (!typeOnly) runtimePackages.push(spec)
      continue
    }
    const target = relative(SRC, resolve(SRC, dirname(file), spec)).replace(/\.js$/, '.ts')
    local.push(target)
    if (!typeOnly) runtime.push(target)
  }
  return { local, runtime, packages, runtimePackages }
}

const files = sourceFiles(SRC)
const graph = new Map(files.map((f) => [f, importsOf(f)]))

describe('architecture', () => {
  it('every import points down the layers (dataplane and control are siblings)', () => {
    const bad: string[] = []
    for (const [file, { local }] of graph) {
      const from = layerOf(file)
      for (const target of local) {
        const to = layerOf(target)
        const sibling = from.rank === 5 && to.rank === 5 && from.name !== to.name
        if (to.rank > from.rank || sibling) bad.push(`${file} (${from.name}) imports ${target} (${to.name})`)
      }
    }
    expect(bad).toEqual([])
  })

  it('the core is pure: no I/O modules, no clock, no randomness', () => {
    const bad: string[] = []
    for (const [file, { packages }] of graph) {
      if (!file.startsWith('core/')) continue
      for (const p of packages) bad.push(`${file} imports ${p}`)
      const text = readFileSync(join(SRC, file), 'utf8')
      if (/Date\.now\(|Math\.random\(|setTimeout\(|setInterval\(/.test(text)) bad.push(`${file} reads the clock or randomness`)
    }
    expect(bad).toEqual([])
  })

  it('only files in observe/metrics/ import prom-client, only main.ts calls process.exit', () => {
    const promUsers = files.filter((f) => graph.get(f)!.packages.includes('prom-client'))
    expect(promUsers.length).toBeGreaterThan(0)
    expect(promUsers.filter((f) => !f.startsWith('observe/metrics/'))).toEqual([])
    const exits = files.filter((f) => /process\.exit\(/.test(readFileSync(join(SRC, f), 'utf8')))
    expect(exits).toEqual(['main.ts'])
  })

  it('loads ioredis, BullMQ, amqplib and the NATS client only when a store or queue uses them (util/lazy-module.ts)', () => {
    const lazy = new Set(['ioredis', 'bullmq', 'amqplib', '@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/nats-core'])
    const eager = files.flatMap((f) => graph.get(f)!.runtimePackages.filter((p) => lazy.has(p)).map((p) => `${f} imports ${p}`))
    expect(eager).toEqual([])
  })

  // No import circle of any kind: a type-only circle compiles away, but it still says two modules
  // need each other, and it becomes a runtime one with the first value import. So every import counts.
  it('has no import cycles, type-only imports included', () => {
    expect(importCycles(files, (f) => graph.get(f)?.local ?? [])).toEqual([])
  })

  it('the cycle check sees type-only circles', () => {
    const edges = new Map([['a.ts', ['b.ts']], ['b.ts', ['a.ts']], ['c.ts', ['a.ts']]])
    expect(importCycles([...edges.keys()], (f) => edges.get(f) ?? [])).toEqual(['a.ts → b.ts → a.ts'])
    expect(importsOfText('x/y.ts', "import type { T } from './z.js'\n").local).toEqual(['x/z.ts'])
  })
})

/** Every import circle found by a depth-first walk, as 'a → b → a'. */
function importCycles(nodes: readonly string[], edgesOf: (f: string) => readonly string[]): string[] {
  const cycles: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return
    if (state.get(f) === 'visiting') { cycles.push([...path.slice(path.indexOf(f)), f].join(' → ')); return }
    state.set(f, 'visiting')
    for (const t of edgesOf(f)) visit(t, [...path, f])
    state.set(f, 'done')
  }
  for (const f of nodes) visit(f, [])
  return cycles
}
