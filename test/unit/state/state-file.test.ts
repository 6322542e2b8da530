import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { ROLLOUT_STATES } from '../../../src/core/types.js'
import { MemoryStateStore } from '../../../src/state/memory.js'
import { readStateFile, writeStateFile, type PersistedState, type StateMaps } from '../../../src/state/state-file.js'
import { buildViews } from '../../../src/state/views.js'
import type { RouteConfig } from '../../../src/config/types.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-state-file-'))
  dirs.push(dir)
  return dir
}
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

/** A state file as the memory store writes it: one route mid-rollout, history, group edits. */
function validState(): PersistedState {
  return {
    format: 1,
    savedAt: 1_700_000_000_000,
    targets: {
      'route/checkout': { percentBp: 2000, state: 'progressing', step: 1, filePercentBp: 0, updatedAt: 1_700_000_000_000, stepSince: 1_700_000_000_000, failures: 0, version: 3 },
      'queue/emails': { percentBp: 0, state: 'manual', step: -1, filePercentBp: 0, updatedAt: 5, version: 1 },
    },
    history: {
      'route/checkout': [
        { at: 1, actor: 'schedule', reason: 'step 1', from: { percentBp: 500, state: 'progressing' }, to: { percentBp: 2000, state: 'progressing' } },
        { at: 2, actor: 'analysis', reason: undefined, from: { percentBp: 2000, state: 'progressing' }, to: { percentBp: 2000, state: 'progressing' }, figures: { p: 0.5 } },
      ],
    },
    members: { 'route/checkout': { beta: { added: ['dora@example.com'], removed: ['erin@example.com'] } } },
  }
}


describe('writeStateFile in pieces', () => {
  it('writes exactly what JSON.stringify would, across many pieces (1,200 targets with history)', async () => {
    const base = validState()
    const targets: Record<string, PersistedState['targets'][string]> = {}
    const history: Record<string, PersistedState['history'][string]> = {}
    for (let i = 0; i < 1_200; i++) {
      targets[`route/r${i}`] = { ...base.targets['route/checkout']!, percentBp: i }
      history[`route/r${i}`] = base.history['route/checkout']!
    }
    const state: PersistedState = { ...base, targets, history }
    const file = join(tempDir(), 'state.json')
    await writeStateFile(file, state)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(state)))
    expect(await readStateFile(file, 0)).toEqual({ kind: 'ok', state: JSON.parse(JSON.stringify(state)) })
  })
})

describe('writeStateFile from the store\'s maps', () => {
  /** What the memory store holds for validState(), plus what JSON leaves out or reorders. */
  function stateMaps(): StateMaps {
    const base = validState()
    const targets = new Map(Object.entries(base.targets))
    // Fields present but undefined (as a spread of an optional field can make them): left out, as by JSON.stringify.
    const plain = { ...base.targets['queue/emails']!, stepSince: undefined, failures: undefined }
    targets.set('route/plain', plain as unknown as PersistedState['targets'][string])
    const history = new Map(Object.entries(base.history))
    // Group names that are array indexes: a record puts them first, in numeric order, as it did before.
    const groups = new Map([
      ['beta', { added: new Set(['dora@example.com']), removed: new Set(['erin@example.com']) }],
      ['2', { added: new Set(['b', 'a']), removed: new Set<string>() }],
      ['1', { added: new Set<string>(), removed: new Set(['c']) }],
    ])
    const members = new Map([['route/checkout', groups], ['queue/emails', new Map()]])
    return { savedAt: base.savedAt, targets, history, members }
  }

  /** The record the memory store built from its maps before it wrote maps itself (its `toPersisted`). */
  function asRecord(s: StateMaps): PersistedState {
    return {
      format: 1,
      savedAt: s.savedAt,
      targets: Object.fromEntries(s.targets),
      history: Object.fromEntries(s.history),
      members: Object.fromEntries([...s.members].map(([k, groups]) => [k, Object.fromEntries(
        [...groups].map(([g, e]) => [g, { added: [...e.added], removed: [...e.removed] }]),
      )])),
    }
  }

  it('writes the very bytes of JSON.stringify of the record, and reads back equal, members included', async () => {
    const maps = stateMaps()
    const file = join(tempDir(), 'state.json')
    await writeStateFile(file, maps)
    const text = readFileSync(file, 'utf8')
    expect(text).toBe(JSON.stringify(asRecord(maps)))
    expect(Object.keys(JSON.parse(text).members['route/checkout'])).toEqual(['1', '2', 'beta'])
    expect(JSON.parse(text).targets['route/plain']).not.toHaveProperty('stepSince')
    const read = await readStateFile(file, 0)
    expect(read).toEqual({ kind: 'ok', state: JSON.parse(JSON.stringify(asRecord(maps))) })
    expect(read.kind === 'ok' && read.state.members?.['route/checkout']?.['2']).toEqual({ added: ['b', 'a'], removed: [] })
  })

  it('the same bytes for 3,000 targets with history, across many writes and time slices', async () => {
    const base = validState()
    const targets = new Map<string, PersistedState['targets'][string]>()
    const history = new Map<string, PersistedState['history'][string]>()
    for (let i = 0; i < 3_000; i++) {
      targets.set(`queue/q${i}`, { ...base.targets['route/checkout']!, percentBp: i % 10_001 })
      history.set(`queue/q${i}`, base.history['route/checkout']!)
    }
    const maps: StateMaps = { savedAt: 7, targets, history, members: new Map() }
    const file = join(tempDir(), 'state.json')
    await writeStateFile(file, maps)
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(asRecord(maps)))
  })
})

type Mutate = (s: Record<string, any>) => void

describe('state file validation: anything wrong is moved aside with the reason, never served or thrown', () => {
  const cases: Array<[string, Mutate, RegExp]> = [
    ['history not a map of lists', (s) => { s.history = 5 }, /\/history must be object/],
    ['a history entry not a list', (s) => { s.history['route/checkout'] = 5 }, /\/history\/route~1checkout must be array/],
    ['a group edit that is null', (s) => { s.members['route/checkout'].beta = null }, /\/members\/route~1checkout\/beta must be object/],
    ['percentBp out of range', (s) => { s.targets['route/checkout'].percentBp = 999_999 }, /percentBp must be <= 10000/],
    ['percentBp negative', (s) => { s.targets['route/checkout'].percentBp = -1 }, /percentBp must be >= 0/],
    ['percentBp not whole', (s) => { s.targets['route/checkout'].percentBp = 12.5 }, /percentBp must be integer/],
    ['an unknown rollout state', (s) => { s.targets['route/checkout'].state = 'bogus' }, /state must be equal to one of the allowed values: manual, progressing/],
    ['a missing version', (s) => { delete s.targets['queue/emails'].version }, /must have required property 'version'/],
    ['a step below -1', (s) => { s.targets['route/checkout'].step = -2 }, /step must be >= -1/],
    ['a history event with an unknown actor', (s) => { s.history['route/checkout'][0].actor = 'root' }, /actor must be equal to one of the allowed values/],
    ['a history event with a bad percent', (s) => { s.history['route/checkout'][1].to.percentBp = '20' }, /to\/percentBp must be integer/],
    ['a group id that is not a string', (s) => { s.members['route/checkout'].beta.added = [42] }, /added\/0 must be string/],
    ['a target key that is no route or queue', (s) => { s.targets.checkout = s.targets['route/checkout'] }, /\/targets key 'checkout' must match pattern/],
    ['savedAt a string', (s) => { s.savedAt = 'yesterday' }, /\/savedAt must be number/],
  ]

  it.each(cases)('%s', async (_name, mutate, reason) => {
    const dir = tempDir()
    const file = join(dir, 'state.json')
    const state = JSON.parse(JSON.stringify(validState())) as Record<string, any>
    mutate(state)
    const text = JSON.stringify(state)
    writeFileSync(file, text)
    const result = await readStateFile(file, Date.UTC(2026, 0, 2, 3, 4, 5, 6))
    expect(result.kind).toBe('corrupt')
    if (result.kind !== 'corrupt') return
    expect(result.reason).toMatch(reason)
    // The README's promise: moved aside as FILE.corrupt-<time>, byte for byte, never overwritten.
    expect(result.movedTo).toBe(`${file}.corrupt-2026-01-02T03-04-05-006Z`)
    expect(readFileSync(result.movedTo!, 'utf8')).toBe(text)
    expect(existsSync(file)).toBe(false)
  })

  it('a number JSON cannot hold (1e400 parses as Infinity) is refused too', async () => {
    const file = join(tempDir(), 'state.json')
    writeFileSync(file, JSON.stringify(validState()).replace('"savedAt":1700000000000', '"savedAt":1e400'))
    const result = await readStateFile(file, 0)
    expect(result).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/savedAt/) })
  })

  it('a long list of problems is cut to five in the reason', async () => {
    const file = join(tempDir(), 'state.json')
    const state = validState() as unknown as Record<string, any>
    state.targets = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`route/r${i}`, { percentBp: -1 }]))
    writeFileSync(file, JSON.stringify(state))
    const result = await readStateFile(file, 0)
    expect(result.kind === 'corrupt' && result.reason).toMatch(/; and \d+ more$/)
  })

  it('a valid file loads, extra fields of a newer writer included', async () => {
    const file = join(tempDir(), 'state.json')
    const state = { ...validState(), comment: 'from the future' }
    writeFileSync(file, JSON.stringify(state))
    const result = await readStateFile(file, 0)
    expect(result.kind).toBe('ok')
    expect(result.kind === 'ok' && result.state.targets['route/checkout']!.percentBp).toBe(2000)
  })

  it('the memory store starts from the config instead of crashing on such a file (history: 5, beta: null)', async () => {
    for (const mutate of [(s: Record<string, any>) => { s.history['route/checkout'] = 5 }, (s: Record<string, any>) => { s.members['route/checkout'].beta = null }]) {
      const file = join(tempDir(), 'state.json')
      const state = JSON.parse(JSON.stringify(validState())) as Record<string, any>
      mutate(state)
      writeFileSync(file, JSON.stringify(state))
      const problems: Array<Record<string, unknown>> = []
      const store = new MemoryStateStore({ file, onProblem: (_m, d) => problems.push(d) })
      await store.load()
      expect(store.snapshot().targets.size).toBe(0)
      expect(problems).toHaveLength(1)
      expect(existsSync(String(problems[0]!.movedTo))).toBe(true)
    }
  })
})

describe('state file writes', () => {
  it('a failed write leaves no temp file behind (the rename onto a directory fails, even for root)', async () => {
    const dir = tempDir()
    const file = join(dir, 'state.json')
    // A directory where the state file should be: the temp file is written and fsynced, then
    // rename(2) fails with EISDIR — permissions play no part, so this fails for root too.
    mkdirSync(file)
    await expect(writeStateFile(file, validState())).rejects.toMatchObject({ code: 'EISDIR' })
    expect(readdirSync(dir)).toEqual(['state.json'])
  })

  it('the memory store refuses the change with SLUICE_ERR_STATE_STORE and leaves no temp file', async () => {
    const dir = tempDir()
    const file = join(dir, 'state.json')
    const store = new MemoryStateStore({ file })
    mkdirSync(file)
    const ref = { kind: 'route', name: 'checkout' } as const
    const next = { percentBp: 100, state: 'manual', step: -1, filePercentBp: 0, updatedAt: 1 } as const
    await expect(store.update(ref, 0, next, undefined)).rejects.toMatchObject({ code: 'SLUICE_ERR_STATE_STORE' })
    expect(store.get(ref)).toBeUndefined()
    expect(readdirSync(dir)).toEqual(['state.json'])
  })
})

/** Written independently of the schema: what the rest of sluice relies on in loaded state. */
function invariantsHold(s: PersistedState): boolean {
  const bp = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 10_000
  const state = (v: unknown) => (ROLLOUT_STATES as readonly unknown[]).includes(v)
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string')
  return Object.values(s.targets).every((t) => bp(t.percentBp) && bp(t.filePercentBp) && state(t.state)
    && Number.isInteger(t.version) && t.version >= 1 && Number.isInteger(t.step))
    && Object.values(s.history).every((list) => Array.isArray(list) && list.every((e) => bp(e.from?.percentBp)
      && bp(e.to?.percentBp) && state(e.from.state) && state(e.to.state) && Number.isFinite(e.at)))
    && Object.values(s.members ?? {}).every((groups) => groups !== null && typeof groups === 'object' && Object.values(groups).every((g) => g !== null && strings(g.added) && strings(g.removed)))
}

/** Every path in a JSON tree (objects' keys and arrays' indexes), root excluded. */
function pathsOf(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return []
  return Object.keys(v).flatMap((k) => {
    const path = [...prefix, Array.isArray(v) ? Number(k) : k]
    return [path, ...pathsOf((v as Record<string, unknown>)[k], path)]
  })
}

const DELETE = Symbol('delete')

function mutate(root: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let parent: any = root
  for (const key of path.slice(0, -1)) parent = parent[key]
  const last = path[path.length - 1]!
  if (value === DELETE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1)
    else delete parent[last]
  } else {
    parent[last] = value
  }
}

const route = (name: string): RouteConfig => ({
  name, match: { host: undefined, pathPrefix: '/' }, old: ['http://o:1'], new: ['http://n:1'], percentBp: 0,
  sticky: [], assignCookie: undefined, optIn: false, rollout: undefined, goals: [], exposeBackendHeader: false,
  groups: [{ name: 'beta', backend: 'new', key: undefined, users: ['amy'], usersFile: undefined }],
  timeouts: { connectMs: 1, headerMs: 1, idleMs: 1 },
})

describe('state file fuzz', () => {
  const value = fc.oneof(
    fc.jsonValue(),
    fc.integer({ min: -3, max: 20_000 }),
    fc.double(),
    fc.constantFrom<unknown>(...ROLLOUT_STATES, 'bogus', null, [], {}, '', DELETE),
  )
  const mutations = fc.array(fc.record({ at: fc.nat(), value }), { minLength: 1, maxLength: 4 })

  it('random mutations of a valid file never crash the load: valid state is loaded, anything else moved aside', async () => {
    const dir = tempDir()
    let n = 0
    await fc.assert(fc.asyncProperty(mutations, async (list) => {
      const state = JSON.parse(JSON.stringify(validState())) as Record<string, unknown>
      for (const { at, value: v } of list) {
        const paths = pathsOf(state)
        if (paths.length > 0) mutate(state, paths[at % paths.length]!, v)
      }
      const file = join(dir, `state-${n++}.json`)
      writeFileSync(file, JSON.stringify(state))
      const result = await readStateFile(file, n)
      if (result.kind === 'ok') {
        expect(invariantsHold(result.state)).toBe(true)
        expect(existsSync(file)).toBe(true)
      } else {
        expect(result.kind).toBe('corrupt')
        expect(result.kind === 'corrupt' && result.movedTo !== undefined && existsSync(result.movedTo)).toBe(true)
        expect(existsSync(file)).toBe(false)
        writeFileSync(file, JSON.stringify(state)) // again, for the store below
      }
      // The store loads the same file without throwing and its views build.
      const store = new MemoryStateStore({ file })
      await store.load()
      buildViews([route('checkout')], [], store.snapshot())
    }), { numRuns: 400 })
  })
})
