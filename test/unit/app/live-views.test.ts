import { describe, expect, it } from 'vitest'
import { LiveViews } from '../../../src/app/live-views.js'
import { loadConfigText } from '../../../src/config/index.js'
import type { Config, RouteConfig } from '../../../src/config/types.js'
import type { TargetRef, TargetView } from '../../../src/core/types.js'
import { createLogger } from '../../../src/observe/log.js'
import { GoalCounter } from '../../../src/observe/goals.js'
import { createRecorder } from '../../../src/observe/metrics/recorder.js'
import { MemoryStateStore } from '../../../src/state/memory.js'
import type { StoreChange } from '../../../src/state/store.js'

/** A data plane that records what LiveViews asks of it; its table is the views it was last given. */
class RecordingPlane {
  table = new Map<string, TargetView>()
  readonly calls: string[] = []
  /** prepareRoutes waits for this, when set: a test acts while a rebuild or a reload is in its slices. */
  gate: Promise<void> | undefined

  setRoutes(_routes: readonly RouteConfig[], views: ReadonlyMap<string, TargetView>): void {
    this.calls.push('setRoutes')
    this.table = new Map(views)
  }

  updateViews(_routes: readonly RouteConfig[], changed: ReadonlyMap<string, TargetView>): void {
    this.calls.push(`updateViews ${[...changed.keys()].join(',')}`)
    for (const [name, view] of changed) this.table.set(name, view)
  }

  async prepareRoutes(_routes: readonly RouteConfig[], views: ReadonlyMap<string, TargetView>): Promise<unknown> {
    this.calls.push('prepareRoutes')
    await this.gate
    return views
  }

  installRoutes(prepared: unknown): void {
    this.calls.push('installRoutes')
    this.table = new Map(prepared as ReadonlyMap<string, TargetView>)
  }
}

async function configOf(routes: number, percent = 10): Promise<Config> {
  let yaml = 'routes:\n'
  for (let i = 0; i < routes; i++) {
    yaml += `  - { name: r${i}, match: { pathPrefix: /r${i} }, old: http://127.0.0.1:9, new: http://127.0.0.1:9, percent: ${percent} }\n`
  }
  const loaded = await loadConfigText(yaml, 'test.yaml', {})
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems))
  return loaded.config
}

async function setup(routes: number) {
  let config = await configOf(routes)
  const store = new MemoryStateStore()
  const recorder = createRecorder()
  recorder.setTargets(config.routes, config.queues)
  const plane = new RecordingPlane()
  const views = new LiveViews({
    config: () => config, store, recorder, goals: new GoalCounter(), logger: createLogger({ level: 'silent' }),
    commands: { applyFileIntent: async () => {} } as never,
    dataPlane: plane as never, queuePlane: { setQueues: async () => {} }, isListening: () => true,
  })
  views.refresh()
  store.onChange((ref) => views.onLiveChange(ref))
  plane.calls.length = 0
  const change = (name: string, percentBp: number): StoreChange => {
    const ref: TargetRef = { kind: 'route', name }
    const live = store.get(ref)
    return {
      ref, expectVersion: live?.version ?? 0, event: undefined,
      next: { percentBp, state: 'manual', step: -1, filePercentBp: 1000, updatedAt: 0 },
    }
  }
  const percentGauge = async (name: string) => {
    const line = (await recorder.render()).split('\n').find((l) => l.startsWith(`sluice_percent{kind="route",name="${name}"}`))
    return Number(line?.split(' ')[1])
  }
  return {
    store, plane, views, change, percentGauge,
    switchConfig: (next: Config) => { config = next },
    percentOf: (name: string) => views.current!.routes.get(name)!.percentBp,
  }
}

/** Turns of the event loop until `done` holds (a sliced rebuild takes a few). */
async function turnsUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await new Promise((r) => setImmediate(r))
  expect(done()).toBe(true)
}

describe('LiveViews: live changes rebuild only what changed', () => {
  it('one percent of 2,000 routes: one view, one patch of the data plane, that route\'s gauge; every other view kept', async () => {
    const s = await setup(2000)
    const table = s.views.current!
    const before = new Map(table.routes)
    const { change } = s
    const result = await s.store.update(change('r7', 3300).ref, 0, change('r7', 3300).next, undefined)
    expect(result.ok).toBe(true)
    // Applied before the change's own caller goes on: the next request already decides on it.
    expect(s.percentOf('r7')).toBe(3300)
    expect(s.plane.table.get('r7')!.percentBp).toBe(3300)
    expect(s.plane.calls).toEqual(['updateViews r7'])
    expect(await s.percentGauge('r7')).toBe(33)
    expect(await s.percentGauge('r8')).toBe(10)
    expect(s.views.current).toBe(table) // the entry is set in place: no copy of 2,000 per change
    for (const [name, view] of table.routes) if (name !== 'r7') expect(view).toBe(before.get(name))
  })

  it('changes made in one go are applied together', async () => {
    const s = await setup(100)
    await s.store.updateMany!(['r1', 'r2', 'r3'].map((name, i) => s.change(name, 100 * (i + 1))))
    expect(s.plane.calls).toEqual(['updateViews r1,r2,r3'])
    expect([s.percentOf('r1'), s.percentOf('r2'), s.percentOf('r3')]).toEqual([100, 200, 300])
  })

  it('hundreds of changes at once (another replica\'s reload) rebuild every view in slices, then apply what came meanwhile', async () => {
    const s = await setup(1000)
    let open!: () => void
    s.plane.gate = new Promise((r) => { open = r })
    await s.store.updateMany!(Array.from({ length: 600 }, (_, i) => s.change(`r${i}`, 5000)))
    await turnsUntil(() => s.plane.calls.length > 0)
    expect(s.plane.calls).toEqual(['prepareRoutes'])
    // A change while the rebuild is in its slices: not patched into the old views, applied after the swap.
    await s.store.update(s.change('r900', 7000).ref, 0, s.change('r900', 7000).next, undefined)
    expect(s.plane.calls).toEqual(['prepareRoutes'])
    open()
    await turnsUntil(() => s.plane.calls.length === 3)
    expect(s.plane.calls).toEqual(['prepareRoutes', 'installRoutes', 'updateViews r900'])
    expect(s.percentOf('r599')).toBe(5000)
    expect(s.percentOf('r600')).toBe(1000)
    expect(s.percentOf('r900')).toBe(7000)
    expect(s.plane.table.get('r900')!.percentBp).toBe(7000)
    await turnsUntil(() => s.plane.calls.length === 3)
    await new Promise((r) => setTimeout(r, 50)) // the gauges follow in slices after the swap
    expect(await s.percentGauge('r599')).toBe(50)
    expect(await s.percentGauge('r900')).toBe(70)
  })

  it('a live change during a reload\'s switch is applied on top of the new views right after the swap', async () => {
    const s = await setup(50)
    const next = await configOf(50, 20)
    let open!: () => void
    s.plane.gate = new Promise((r) => { open = r })
    const switching = s.views.switchTo(next, undefined, () => s.switchConfig(next))
    await turnsUntil(() => s.plane.calls.includes('prepareRoutes'))
    await s.store.update(s.change('r3', 4200).ref, 0, s.change('r3', 4200).next, undefined)
    expect(s.plane.calls).toEqual(['prepareRoutes']) // nothing patched into the old table meanwhile
    open()
    await switching
    expect(s.plane.calls).toEqual(['prepareRoutes', 'installRoutes', 'updateViews r3'])
    expect(s.percentOf('r3')).toBe(4200)
    expect(s.percentOf('r4')).toBe(2000)
    expect(s.plane.table.get('r3')!.percentBp).toBe(4200)
  })
})
