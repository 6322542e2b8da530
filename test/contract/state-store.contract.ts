import { describe, expect, it } from 'vitest'
import type { HistoryEvent, LastVerdict, StateStore, TargetLive } from '../../src/state/store.js'

/**
 * One suite for every StateStore implementation (memory now, Redis later): each runs it through
 * a factory that returns a fresh, empty store.
 */
export function stateStoreContract(name: string, makeStore: () => Promise<StateStore>): void {
  const ref = { kind: 'route', name: 'checkout' } as const
  const live = (percentBp: number): Omit<TargetLive, 'version'> => ({
    percentBp, state: 'manual', step: -1, filePercentBp: 0, updatedAt: 1000,
  })
  const event = (from: number, to: number): HistoryEvent => ({
    at: 1000 + to, actor: 'admin', reason: `to ${to}`,
    from: { percentBp: from, state: 'manual' }, to: { percentBp: to, state: 'manual' },
  })

  describe(`StateStore contract: ${name}`, () => {
    it('creates a target with expectVersion 0 and bumps the version on each update', async () => {
      const store = await makeStore()
      const a = await store.update(ref, 0, live(100), event(0, 100))
      expect(a).toMatchObject({ ok: true, live: { percentBp: 100, version: 1 } })
      const b = await store.update(ref, 1, live(500), event(100, 500))
      expect(b).toMatchObject({ ok: true, live: { percentBp: 500, version: 2 } })
      expect(store.get(ref)).toMatchObject({ percentBp: 500, version: 2 })
      await store.close()
    })

    it('updateMany: each change applied or refused on its own version, results in order, history and listeners for the applied ones', async () => {
      const store = await makeStore()
      expect(store.updateMany).toBeDefined()
      const other = { kind: 'queue', name: 'checkout' } as const
      await store.update(ref, 0, live(100), undefined)
      const told: string[] = []
      store.onChange((r) => told.push(`${r.kind}/${r.name}`))
      const many = Array.from({ length: 1_200 }, (_, i) => ({ ref: { kind: 'route', name: `bulk-${i}` } as const, expectVersion: 0, next: live(i), event: event(0, i) }))
      const results = await store.updateMany!([
        { ref, expectVersion: 0, next: live(200), event: event(100, 200) }, // stale: version 1 runs
        { ref: other, expectVersion: 0, next: live(300), event: event(0, 300) },
        ...many,
      ])
      expect(results).toHaveLength(1_202)
      expect(results[0]).toEqual({ ok: false, current: expect.objectContaining({ percentBp: 100, version: 1 }) })
      expect(results[1]).toMatchObject({ ok: true, live: { percentBp: 300, version: 1 } })
      expect(results[1_201]).toMatchObject({ ok: true, live: { percentBp: 1_199, version: 1 } })
      expect(store.get(ref)).toMatchObject({ percentBp: 100, version: 1 })
      expect(store.get(other)).toMatchObject({ percentBp: 300, version: 1 })
      expect(store.get({ kind: 'route', name: 'bulk-700' })).toMatchObject({ percentBp: 700, version: 1 })
      expect(await store.history(ref, 10)).toEqual([])
      expect((await store.history(other, 10)).map((e) => e.to.percentBp)).toEqual([300])
      expect(told).toContain('queue/checkout')
      expect(told).toContain('route/bulk-1199')
      expect(told).not.toContain('route/checkout')
      const again = await store.updateMany!([{ ref: other, expectVersion: 1, next: live(400), event: undefined }])
      expect(again).toEqual([{ ok: true, live: expect.objectContaining({ percentBp: 400, version: 2 }) }])
      await store.close()
    })

    it('refuses a stale version and reports the current state (compare-and-set)', async () => {
      const store = await makeStore()
      await store.update(ref, 0, live(100), undefined)
      const stale = await store.update(ref, 0, live(200), event(0, 200))
      expect(stale).toEqual({ ok: false, current: expect.objectContaining({ percentBp: 100, version: 1 }) })
      expect(await store.history(ref, 10)).toEqual([])
      await store.close()
    })

    it('concurrent writers with the same version: exactly one wins', async () => {
      const store = await makeStore()
      await store.update(ref, 0, live(0), undefined)
      const results = await Promise.all([1, 2, 3, 4, 5].map((i) =>
        store.update(ref, 1, live(i * 100), event(0, i * 100))))
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      expect(await store.history(ref, 10)).toHaveLength(1)
      await store.close()
    })

    it('keeps history oldest first and returns the newest `limit`', async () => {
      const store = await makeStore()
      let version = 0
      for (const p of [100, 200, 300, 400]) {
        const r = await store.update(ref, version, live(p), event(p - 100, p))
        if (r.ok) version = r.live.version
      }
      expect((await store.history(ref, 10)).map((e) => e.to.percentBp)).toEqual([100, 200, 300, 400])
      expect((await store.history(ref, 2)).map((e) => e.to.percentBp)).toEqual([300, 400])
      expect(await store.history({ kind: 'queue', name: 'checkout' }, 10)).toEqual([])
      await store.close()
    })

    it('snapshots are immutable: an earlier snapshot does not change after an update', async () => {
      const store = await makeStore()
      await store.update(ref, 0, live(100), undefined)
      const before = store.snapshot()
      await store.update(ref, 1, live(900), undefined)
      expect(before.targets.get('route/checkout')?.percentBp).toBe(100)
      expect(store.snapshot().targets.get('route/checkout')?.percentBp).toBe(900)
      await store.close()
    })

    it('records live group membership edits and notifies listeners', async () => {
      const store = await makeStore()
      const seen: string[] = []
      const off = store.onChange((r) => seen.push(`${r.kind}/${r.name}`))
      await store.setMember(ref, 'beta', 'alice@example.com', true)
      await store.setMember(ref, 'beta', 'bob@example.com', true)
      await store.setMember(ref, 'beta', 'bob@example.com', false)
      const edits = store.snapshot().members.get('route/checkout')?.get('beta')
      expect([...(edits?.added ?? [])]).toEqual(['alice@example.com'])
      expect([...(edits?.removed ?? [])]).toEqual(['bob@example.com'])
      expect(seen).toEqual(['route/checkout', 'route/checkout', 'route/checkout'])
      off()
      await store.update(ref, 0, live(1), undefined)
      expect(seen).toHaveLength(3)
      await store.close()
    })

    it('keeps the last verdict as written, fields it does not know included, and keeps it on later updates only if given', async () => {
      const store = await makeStore()
      const lastVerdict = storedVerdict()
      await store.update(ref, 0, { ...live(100), lastVerdict }, undefined)
      expect(store.get(ref)?.lastVerdict).toEqual(lastVerdict)
      await store.update(ref, 1, live(200), undefined)
      expect(store.get(ref)?.lastVerdict).toBeUndefined()
      await store.close()
    })

    it('answers ping while healthy', async () => {
      const store = await makeStore()
      await expect(store.ping()).resolves.toBeUndefined()
      await store.close()
    })
  })
}

/**
 * A stored verdict with a field today's Verdict does not have (`futureField`): the stores must carry
 * what the analysis adds later without knowing it.
 */
export function storedVerdict(at = 1_777_000_000_000): LastVerdict {
  const side = { requests: 120, errors: 9, errorRate: 0.075, p99Ms: 41.5, slow: 0 }
  const v = {
    kind: 'fail', failed: ['maxErrorRate'], old: { ...side, errors: 0, errorRate: 0 }, new: side,
    checks: [{ check: 'maxErrorRate', pass: false, m: 31.2, bar: 20, limit: 0.05 }],
    step: { old: { requests: 1200, errors: 0, slow: 0 }, new: { requests: 120, errors: 9, slow: 0 } },
    at, futureField: { maxErrorRate: { m: 3.1, bar: 20 } },
  } as const
  return v
}
