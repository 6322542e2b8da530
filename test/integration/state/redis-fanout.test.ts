import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { storedVerdict } from '../../contract/state-store.contract.js'
import { live, ref, REDIS_SERVER, StoreRig, suiteTitle, uniquePrefix, waitFor } from './fixture.js'

/** The target for a change to reach every replica; the assertion bound is generous (CI). */
const TARGET_MS = 500
const BOUND_MS = 2000

describe.skipIf(!REDIS_SERVER)(suiteTitle('redis store: change fan-out between replicas'), () => {
  const rig = new StoreRig()
  beforeAll(() => rig.start())
  afterAll(() => rig.close())

  it('a change through replica A is in replica B\'s snapshot, and B\'s listeners are told', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    const b = await rig.store({ keyPrefix, name: 'b' })
    const heard: string[] = []
    b.onChange((r) => heard.push(`${r.kind}/${r.name}`))

    const delays: number[] = []
    for (let i = 1; i <= 20; i++) {
      const started = performance.now()
      const r = await a.update(ref, i - 1, live(i * 10), undefined)
      expect(r.ok).toBe(true)
      await waitFor(() => b.get(ref)?.version === i, BOUND_MS, `B to see version ${i}`)
      delays.push(performance.now() - started)
    }
    delays.sort((x, y) => x - y)
    console.log(`fan-out A→B over 20 changes: median ${delays[10]!.toFixed(1)} ms, max ${delays[19]!.toFixed(1)} ms (target ${TARGET_MS} ms)`)
    expect(delays[19]).toBeLessThan(BOUND_MS)
    expect(b.get(ref)).toMatchObject({ percentBp: 200, version: 20 })
    expect(heard).toHaveLength(20)
    expect(new Set(heard)).toEqual(new Set(['route/checkout']))
  })

  it('a batch of 1,000 changes through A (a reload) reaches B whole: every target, each listener told once per target', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    const b = await rig.store({ keyPrefix, name: 'b' })
    const heard = new Map<string, number>()
    b.onChange((r) => heard.set(r.name, (heard.get(r.name) ?? 0) + 1))
    const targets = Array.from({ length: 1000 }, (_, i) => ({ kind: 'route' as const, name: `r${i}` }))
    const change = (expectVersion: number, percentBp: number) =>
      targets.map((t) => ({ ref: t, expectVersion, next: live(percentBp), event: undefined }))
    const created = await a.updateMany!(change(0, 100))
    expect(created.every((r) => r.ok)).toBe(true)
    await waitFor(() => targets.every((t) => b.get(t)?.version === 1), 10_000, 'B to see every target created')
    heard.clear()
    const changed = await a.updateMany!(change(1, 700))
    expect(changed.every((r) => r.ok)).toBe(true)
    await waitFor(() => targets.every((t) => b.get(t)?.percentBp === 700), 10_000, 'B to see every new percent')
    expect(heard.size).toBe(1000)
    expect([...heard.values()].every((n) => n === 1)).toBe(true)
    expect(b.snapshot().targets.get('route/r999')).toMatchObject({ version: 2, percentBp: 700 })
  })

  it('the last verdict fans out with the target: B holds the identical object, fields unknown to the store included', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    const b = await rig.store({ keyPrefix, name: 'b' })
    const lastVerdict = storedVerdict()
    await a.update(ref, 0, { ...live(300), lastVerdict }, undefined)
    await waitFor(() => b.get(ref)?.version === 1, BOUND_MS, 'B to see the verdict')
    expect(b.get(ref)?.lastVerdict).toEqual(lastVerdict)
    expect(JSON.stringify(b.get(ref))).toBe(JSON.stringify(a.get(ref)))
    // and a replica started later loads it
    const c = await rig.store({ keyPrefix, name: 'c' })
    expect(c.get(ref)?.lastVerdict).toEqual(lastVerdict)
  })

  it('group edits fan out too, and concurrent edits from two replicas converge on both', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    const b = await rig.store({ keyPrefix, name: 'b' })
    const ids = (who: string) => Array.from({ length: 20 }, (_, i) => `${who}${i}@example.com`)
    await Promise.all([
      (async () => { for (const id of ids('a')) await a.setMember(ref, 'beta', id, true) })(),
      (async () => { for (const id of ids('b')) await b.setMember(ref, 'beta', id, true) })(),
    ])
    await a.setMember(ref, 'beta', 'a0@example.com', false)
    const expected = new Set([...ids('a'), ...ids('b')].filter((id) => id !== 'a0@example.com'))
    // Converged = exactly the final set (a size check alone also matches states on the way there).
    const converged = (added: ReadonlySet<string> | undefined) =>
      added?.size === expected.size && [...expected].every((id) => added.has(id))
    for (const store of [a, b]) {
      const beta = () => store.snapshot().members.get('route/checkout')?.get('beta')
      await waitFor(() => converged(beta()?.added), BOUND_MS, 'the members to converge')
      expect([...(beta()?.removed ?? [])]).toEqual(['a0@example.com'])
    }
  })

  it('a replica started later loads everything the others wrote', async () => {
    const keyPrefix = uniquePrefix()
    const a = await rig.store({ keyPrefix, name: 'a' })
    await a.update(ref, 0, live(700), undefined)
    await a.update({ kind: 'queue', name: 'emails' }, 0, live(300), undefined)
    await a.setMember(ref, 'vip', 'carol', true)
    const c = await rig.store({ keyPrefix, name: 'c' })
    expect(c.get(ref)).toMatchObject({ percentBp: 700, version: 1 })
    expect(c.get({ kind: 'queue', name: 'emails' })).toMatchObject({ percentBp: 300 })
    expect([...(c.snapshot().members.get('route/checkout')?.get('vip')?.added ?? [])]).toEqual(['carol'])
  })

  it('stores with different key prefixes share a Redis without seeing each other', async () => {
    const a = await rig.store({ name: 'a' })
    const other = await rig.store({ name: 'other' })
    await a.update(ref, 0, live(100), undefined)
    await new Promise((r) => setTimeout(r, 50))
    expect(other.get(ref)).toBeUndefined()
    await other.load()
    expect(other.get(ref)).toBeUndefined()
  })
})
