import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryStateStore } from '../../../src/state/memory.js'
import { stateStoreContract, storedVerdict } from '../../contract/state-store.contract.js'

stateStoreContract('memory', async () => new MemoryStateStore())

const dirs: string[] = []
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-state-'))
  dirs.push(dir)
  return join(dir, 'state.json')
}
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

stateStoreContract('memory with state.file', async () => new MemoryStateStore({ file: tempFile() }))

describe('memory store with state.file', () => {
  const ref = { kind: 'route', name: 'checkout' } as const
  const live = { percentBp: 700, state: 'manual', step: -1, filePercentBp: 0, updatedAt: 5 } as const
  const event = { at: 5, actor: 'admin', reason: 'more', from: { percentBp: 0, state: 'manual' }, to: { percentBp: 700, state: 'manual' } } as const

  it('survives a restart with the last verdict, unknown verdict fields included', async () => {
    const file = tempFile()
    const a = new MemoryStateStore({ file })
    await a.load()
    const lastVerdict = storedVerdict()
    await a.update(ref, 0, { ...live, lastVerdict }, event)
    await a.close()

    const b = new MemoryStateStore({ file })
    await b.load()
    expect(b.get(ref)).toEqual({ ...live, lastVerdict, version: 1 })
    expect(JSON.stringify(b.get(ref)?.lastVerdict)).toBe(JSON.stringify(lastVerdict))
  })

  it('survives a restart: percent, history and group edits are reloaded', async () => {
    const file = tempFile()
    const a = new MemoryStateStore({ file })
    await a.load()
    await a.update(ref, 0, live, event)
    await a.setMember(ref, 'beta', 'alice', true)
    await a.close()

    const b = new MemoryStateStore({ file })
    await b.load()
    expect(b.get(ref)).toMatchObject({ percentBp: 700, version: 1 })
    expect(await b.history(ref, 10)).toEqual([event])
    expect([...(b.snapshot().members.get('route/checkout')?.get('beta')?.added ?? [])]).toEqual(['alice'])
    // and it keeps counting versions from where it was
    expect((await b.update(ref, 1, { ...live, percentBp: 800 }, undefined)).ok).toBe(true)
  })

  it('a corrupt file is reported and moved aside, never silently replaced', async () => {
    const file = tempFile()
    writeFileSync(file, '{"format": 1, "targets": ')
    const problems: Array<Record<string, unknown>> = []
    const store = new MemoryStateStore({
      file, now: () => Date.UTC(2026, 0, 2), onProblem: (_m, d) => problems.push(d),
    })
    await store.load()
    expect(store.get(ref)).toBeUndefined()
    expect(problems).toHaveLength(1)
    expect(String(problems[0]!.reason)).toMatch(/not JSON/)
    const moved = String(problems[0]!.movedTo)
    expect(readFileSync(moved, 'utf8')).toBe('{"format": 1, "targets": ')
    // the next write creates a fresh file and leaves the moved copy alone
    await store.update(ref, 0, live, undefined)
    expect(JSON.parse(readFileSync(file, 'utf8')).targets['route/checkout'].percentBp).toBe(700)
    expect(readFileSync(moved, 'utf8')).toBe('{"format": 1, "targets": ')
  })

  it('a file of another shape is corrupt too', async () => {
    const file = tempFile()
    writeFileSync(file, JSON.stringify({ hello: 'world' }))
    const problems: string[] = []
    const store = new MemoryStateStore({ file, onProblem: (m) => problems.push(m) })
    await store.load()
    expect(problems).toHaveLength(1)
  })

  it('writes atomically: no temp files are left behind', async () => {
    const file = tempFile()
    const store = new MemoryStateStore({ file })
    for (let i = 0; i < 5; i++) await store.update(ref, i, { ...live, percentBp: i * 100 }, undefined)
    const dir = join(file, '..')
    expect(readdirSync(dir)).toEqual(['state.json'])
  })

  it('a failed write changes nothing and says why', async () => {
    const store = new MemoryStateStore({ file: join(tmpdir(), 'no-such-dir-for-sluice', 'state.json') })
    await expect(store.update(ref, 0, live, event)).rejects.toMatchObject({ code: 'SLUICE_ERR_STATE_STORE' })
    expect(store.get(ref)).toBeUndefined()
    expect(await store.history(ref, 10)).toEqual([])
  })
})

describe('memory store: many targets', () => {
  const live = (percentBp: number) => ({ percentBp, state: 'manual', step: -1, filePercentBp: percentBp, updatedAt: 5 }) as const
  const ref = (i: number) => ({ kind: 'route', name: `svc${i}` }) as const

  it('updateMany applies each change on its own version, tells listeners of the applied ones and persists them', async () => {
    const file = tempFile()
    const store = new MemoryStateStore({ file })
    await store.load()
    await store.update(ref(1), 0, live(100), undefined)
    const heard: string[] = []
    store.onChange((r) => heard.push(r.name))
    const results = await store.updateMany([
      { ref: ref(0), expectVersion: 0, next: live(200), event: undefined },
      { ref: ref(1), expectVersion: 0, next: live(300), event: undefined }, // stale: svc1 is at version 1
      { ref: ref(2), expectVersion: 0, next: live(400), event: undefined },
    ])
    expect(results.map((r) => r.ok)).toEqual([true, false, true])
    expect(results[1]).toEqual({ ok: false, current: { ...live(100), version: 1 } })
    expect(heard).toEqual(['svc0', 'svc2'])
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { targets: Record<string, { percentBp: number }> }
    expect(Object.fromEntries(Object.entries(saved.targets).map(([k, v]) => [k, v.percentBp]))).toEqual({ 'route/svc0': 200, 'route/svc1': 100, 'route/svc2': 400 })
  })

  it('a snapshot handed out never changes, however the store changes after it', async () => {
    const store = new MemoryStateStore()
    await store.update(ref(0), 0, live(100), undefined)
    const before = store.snapshot()
    await store.update(ref(0), 1, live(200), undefined)
    await store.updateMany([{ ref: ref(1), expectVersion: 0, next: live(300), event: undefined }])
    expect(before.targets.get('route/svc0')?.percentBp).toBe(100)
    expect(before.targets.has('route/svc1')).toBe(false)
    const after = store.snapshot()
    expect(after.targets.get('route/svc0')?.percentBp).toBe(200)
    expect(after.targets.get('route/svc1')?.percentBp).toBe(300)
  })

  it('a failed write of updateMany changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-state-'))
    dirs.push(dir)
    const store = new MemoryStateStore({ file: join(dir, 'missing-dir', 'state.json') })
    await expect(store.updateMany([{ ref: ref(0), expectVersion: 0, next: live(100), event: undefined }])).rejects.toMatchObject({ code: 'SLUICE_ERR_STATE_STORE' })
    expect(store.get(ref(0))).toBeUndefined()
  })
})

describe('memory store: a large batch in time slices, applied whole', () => {
  const live = (percentBp: number) => ({ percentBp, state: 'manual', step: -1, filePercentBp: percentBp, updatedAt: 5 }) as const
  const ref = (i: number) => ({ kind: 'route', name: `svc${i}` }) as const
  const event = (from: number, to: number) => ({ at: 5, actor: 'config', reason: 'file', from: { percentBp: from, state: 'manual' }, to: { percentBp: to, state: 'manual' } }) as const
  const N = 5_000
  /** svc0..svc{N-1} each from `from` to `to` (bp) at `version`, with a history event unless told otherwise. */
  const batch = (version: number, from: number, to: number, withEvent = true) => Array.from({ length: N }, (_, i) => ({
    ref: ref(i), expectVersion: version, next: live(to), event: withEvent ? event(from, to) : undefined,
  }))

  /** Busy for `ms`: a listener or a change that costs time, so that a batch of them must be sliced. */
  const spin = (ms: number) => { const until = performance.now() + ms; while (performance.now() < until); }

  /** A store with a file holding svc0..svc{N-1} at 1 % (version 1, one history event each). */
  async function storeWithTargets(file: string): Promise<MemoryStateStore> {
    const store = new MemoryStateStore({ file })
    await store.load()
    await store.updateMany(batch(0, 0, 100))
    return store
  }

  /** Run `work`, calling `probe` in every turn of the loop until it settles (the first is scheduled before it). */
  async function probeTurns<T>(work: () => Promise<T>, probe: () => void): Promise<{ result: T; turns: number }> {
    let settled = false
    let turns = 0
    const tick = () => {
      if (settled) return
      turns++
      probe()
      setImmediate(tick)
    }
    setImmediate(tick)
    try {
      return { result: await work(), turns }
    } finally {
      settled = true
    }
  }

  it('builds the batch across turns of the event loop, and a reader in such a turn sees none of it', async () => {
    const store = await storeWithTargets(tempFile())
    let built = 0
    // Each change costs 20 µs to read (the store copies `next`): 100 ms in all, which must be sliced.
    const changes = Array.from({ length: N }, (_, i) => ({
      ref: ref(i), expectVersion: 1, event: event(100, 200),
      next: { ...live(200), get updatedAt() { built++; spin(0.02); return 6 } },
    }))
    let heard = 0
    store.onChange(() => heard++)
    const midBuild: number[] = []
    const { result, turns } = await probeTurns(() => store.updateMany(changes), () => {
      if (built > 0 && built < N) midBuild.push(built)
      if (heard > 0) return // committed: the turns after the swap tell listeners
      const snap = store.snapshot()
      for (let i = 0; i < N; i += 499) {
        expect(store.get(ref(i))).toMatchObject({ percentBp: 100, version: 1 })
        expect(snap.targets.get(`route/svc${i}`)).toMatchObject({ percentBp: 100, version: 1 })
      }
      expect([...snap.targets.values()].every((t) => t.percentBp === 100)).toBe(true)
    })
    expect(midBuild.length).toBeGreaterThan(0)
    expect(turns).toBeGreaterThan(midBuild.length)
    expect(result.every((r) => r.ok)).toBe(true)
    expect(heard).toBe(N)
    expect(store.get(ref(N - 1))).toMatchObject({ percentBp: 200, version: 2, updatedAt: 6 })
    expect((await store.history(ref(0), 10)).map((e) => e.to.percentBp)).toEqual([100, 200])
  })

  it('a reader during the state file write sees the old state and history', async () => {
    const store = await storeWithTargets(tempFile())
    let heard = 0
    store.onChange(() => heard++)
    const seen: number[] = []
    const { turns } = await probeTurns(
      () => store.updateMany(batch(1, 100, 300)),
      () => {
        if (heard > 0) return
        seen.push(store.get(ref(N - 1))!.percentBp, store.snapshot().targets.get('route/svc0')!.percentBp)
        void store.history(ref(N - 1), 10).then((h) => seen.push(h.length * 100))
      },
    )
    expect(turns).toBeGreaterThan(0)
    expect(seen.length).toBeGreaterThan(0)
    expect(new Set(seen)).toEqual(new Set([100]))
    expect(store.get(ref(N - 1))?.percentBp).toBe(300)
  })

  it('tells every listener of every change before it resolves, across turns when listeners are slow', async () => {
    const store = new MemoryStateStore()
    let heard = 0
    store.onChange(() => { heard++; spin(0.02) }) // 100 ms for the batch: must be sliced
    const partial: number[] = []
    const { result } = await probeTurns(
      () => store.updateMany(batch(0, 0, 100, false)),
      () => { if (heard > 0 && heard < N) partial.push(heard) },
    )
    expect(result).toHaveLength(N)
    expect(heard).toBe(N)
    expect(partial.length).toBeGreaterThan(0)
  })

  it('a failed write of a large batch changes nothing: state, snapshot, history, listeners', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-state-'))
    dirs.push(dir)
    const store = await storeWithTargets(join(dir, 'state.json'))
    const before = store.snapshot()
    rmSync(dir, { recursive: true, force: true })
    let heard = 0
    store.onChange(() => heard++)
    await expect(store.updateMany(batch(1, 100, 900))).rejects.toMatchObject({ code: 'SLUICE_ERR_STATE_STORE' })
    expect(heard).toBe(0)
    expect(store.snapshot().targets).toBe(before.targets)
    expect([...store.snapshot().targets.values()].every((t) => t.percentBp === 100 && t.version === 1)).toBe(true)
    expect(await store.history(ref(N - 1), 10)).toHaveLength(1)
  })
})
