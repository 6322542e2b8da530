import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { Config, QueueConfig, RouteConfig } from '../config/types.js'
import type { Kind, TargetRef, TargetView } from '../core/types.js'
import { refKey, type StateStore } from '../state/store.js'
import { buildView, buildViews, buildViewsSliced, type BuiltViewTable, type ViewTable } from '../state/views.js'
import type { GoalCounter } from '../observe/goals.js'
import type { Recorder } from '../observe/metrics/recorder.js'
import { recordLiveState, recordLiveStateSliced } from '../observe/live-gauges.js'
import type { HttpDataPlane } from '../dataplane/http/server.js'
import type { QueueDataPlane } from '../dataplane/queue/index.js'
import type { Commands } from '../control/commands.js'

export interface LiveViewsOptions {
  /** The running config (it changes on reload). */
  readonly config: () => Config
  readonly store: StateStore
  readonly commands: Commands
  readonly recorder: Recorder
  readonly goals: GoalCounter
  readonly dataPlane: Pick<HttpDataPlane, 'setRoutes' | 'updateViews' | 'prepareRoutes' | 'installRoutes'>
  readonly queuePlane: Pick<QueueDataPlane, 'setQueues'>
  readonly logger: Logger
  /** Queue routers consume jobs only once both listeners are up: before that, start() starts them. */
  readonly isListening: () => boolean
}

/**
 * Live changes patched one target at a time up to this many in one batch; more (a follower that
 * receives another replica's reload of thousands of percents) rebuild every view in time slices.
 */
const PATCH_LIMIT = 256

/**
 * The decision views of the running config over the live state, and everyone who reads them
 * (the planes, the goal counter, the live-state gauges).
 *
 * A live change rebuilds only the views of the targets that changed: the store names each changed
 * target, the names are collected and applied together in a microtask (before the code that made
 * the change goes on), so a percent change of one of 10,000 routes costs one view, one compiled
 * route and two gauges, not a walk over all of them. A reload builds everything anew in slices
 * (`switchTo`); changes that arrive meanwhile are applied on top once it has swapped.
 */
export class LiveViews {
  /** Built by this class, so its maps are its own: a live change sets entries in place. */
  #views: BuiltViewTable | undefined
  /** Reload switches and sliced rebuilds under way: live changes wait in `#dirty` until none is. */
  #rebuilds = 0
  /** Targets (refKey) whose live state changed since the views were last brought up to date. */
  #dirty = new Set<string>()
  #flushQueued = false
  /** Targets of the running config by refKey, made once per config (a reload makes a new one). */
  #targets: { readonly of: Config; readonly byKey: ReadonlyMap<string, TargetEntry> } | undefined

  constructor(private readonly opts: LiveViewsOptions) {}

  /** The views last built; undefined before the first refresh. */
  get current(): ViewTable | undefined {
    return this.#views
  }

  /** The store's change listener. */
  onLiveChange(ref: TargetRef): void {
    this.#dirty.add(refKey(ref))
    if (this.#rebuilds > 0 || this.#flushQueued) return
    this.#flushQueued = true
    queueMicrotask(() => {
      this.#flushQueued = false
      try {
        this.#flush()
      } catch (err) {
        this.opts.logger.error({ err }, 'applying a live-state change to the views failed')
      }
    })
  }

  /** A reload may change thousands of percents: their views are brought up to date once, at the end. */
  async applyFileIntent(next: Config, prev: Config | undefined): Promise<void> {
    this.#rebuilds++
    try {
      await this.opts.commands.applyFileIntent(next, prev)
    } finally {
      this.#rebuilds--
      if (this.#dirty.size > 0 && this.#rebuilds === 0) this.refresh()
    }
  }

  /**
   * A reload's switch. The file's intent is applied first; the views, pools and compiled routes of
   * `next` are made in slices while the old ones serve; then `commit` makes `next` the running config
   * and the route table is swapped in one step, so a request sees the old table or the new one. Live
   * changes after the snapshot the views were built from are applied on top right after the swap.
   */
  async switchTo(next: Config, prev: Config | undefined, commit: () => void): Promise<void> {
    const { commands, store, dataPlane } = this.opts
    this.#rebuilds++
    let installed = false
    try {
      await commands.applyFileIntent(next, prev)
      // The intent's own changes are in the snapshot taken next: only changes after it are left to apply.
      this.#dirty.clear()
      const views = await buildViewsSliced(next.routes, next.queues, store.snapshot())
      const prepared = await dataPlane.prepareRoutes(next.routes, views.routes)
      // In a turn of its own (~3 ms at 10,000 routes): the first live change after the swap must not pay for it.
      await yieldToLoop()
      this.#targetsOf(next)
      await yieldToLoop()
      commit()
      this.#install(views, () => dataPlane.installRoutes(prepared))
      installed = true
    } finally {
      this.#rebuilds--
      if (!installed) this.refresh()
      else this.#flush()
    }
    await recordLiveStateSliced(this.opts.recorder, this.opts.config(), () => store.snapshot())
  }

  /** Every view rebuilt from the store's snapshot, in one go (start, a store reconnect, a failed switch). */
  refresh(): void {
    const { config, store, recorder, dataPlane } = this.opts
    const cfg = config()
    this.#dirty.clear()
    this.#targetsOf(cfg) // made here (start), not in the turn of the first live change
    const views = buildViews(cfg.routes, cfg.queues, store.snapshot())
    recordLiveState(recorder, cfg, store.snapshot())
    this.#install(views, () => dataPlane.setRoutes(cfg.routes, views.routes))
  }

  /** (Re)start the queue routers on the current views; a failure is logged, the HTTP plane goes on. */
  startQueues(): void {
    this.opts.queuePlane.setQueues(this.opts.config().queues, this.#views!.queues)
      .catch((err: unknown) => this.opts.logger.error({ err }, 'queue routers could not be (re)started'))
  }

  #install(views: BuiltViewTable, setRoutes: () => void): void {
    this.#views = views
    this.opts.goals.configure(this.opts.config().routes, views.routes)
    setRoutes()
    if (this.opts.isListening()) this.startQueues() // else start() does, once it listens
  }

  /** Bring the views of the changed targets up to date: patched one by one, or all of them in slices. */
  #flush(): void {
    if (this.#rebuilds > 0 || this.#dirty.size === 0) return
    if (this.#views === undefined) return this.refresh()
    if (this.#dirty.size > PATCH_LIMIT) {
      void this.#rebuildSliced().catch((err: unknown) => {
        this.opts.logger.error({ err }, 'rebuilding the views after many live changes failed')
        this.refresh()
      })
      return
    }
    const dirty = this.#dirty
    this.#dirty = new Set()
    this.#patch(dirty)
  }

  #patch(dirty: ReadonlySet<string>): void {
    const { store, recorder, dataPlane, goals } = this.opts
    const cfg = this.opts.config()
    const targets = this.#targetsOf(cfg)
    const snapshot = store.snapshot()
    const views = this.#views!
    // Only the changed entries: at 10,000 routes a copy of the maps per change would cost more than
    // the change (a follower receives another replica's changes one by one).
    const routes = new Map<string, TargetView>()
    const queues = new Map<string, TargetView>()
    for (const key of dirty) {
      const t = targets.get(key)
      if (t === undefined) continue // live state of a target no longer in the config
      const view = buildView(t.kind, t.cfg, snapshot)
      const ref: TargetRef = { kind: t.kind, name: t.cfg.name }
      const live = snapshot.targets.get(key)
      recorder.percent(ref, live?.percentBp ?? t.cfg.percentBp)
      recorder.rolloutState(ref, live?.state ?? 'manual')
      if (view !== (t.kind === 'route' ? views.routes : views.queues).get(t.cfg.name)) {
        ;(t.kind === 'route' ? routes : queues).set(t.cfg.name, view)
      }
    }
    if (routes.size === 0 && queues.size === 0) return
    for (const [name, view] of routes) views.routes.set(name, view)
    for (const [name, view] of queues) views.queues.set(name, view)
    if (routes.size > 0) {
      goals.configure(cfg.routes, views.routes)
      dataPlane.updateViews(cfg.routes, routes, views.routes)
    }
    if (queues.size > 0 && this.opts.isListening()) this.startQueues()
  }

  /**
   * Every view rebuilt in time slices while the current ones serve, then installed in one step;
   * changes that arrive meanwhile are applied after it. Given up when a reload switches meanwhile
   * (the reload's views are newer).
   */
  async #rebuildSliced(): Promise<void> {
    const { config, store, dataPlane } = this.opts
    const cfg = config()
    this.#rebuilds++
    this.#dirty.clear()
    try {
      const views = await buildViewsSliced(cfg.routes, cfg.queues, store.snapshot())
      const prepared = await dataPlane.prepareRoutes(cfg.routes, views.routes)
      if (config() !== cfg) return // a reload switched meanwhile: its views are newer
      this.#install(views, () => dataPlane.installRoutes(prepared))
    } finally {
      this.#rebuilds--
      this.#flush()
    }
    await recordLiveStateSliced(this.opts.recorder, cfg, () => store.snapshot())
  }

  #targetsOf(cfg: Config): ReadonlyMap<string, TargetEntry> {
    if (this.#targets?.of !== cfg) this.#targets = { of: cfg, byKey: targetsByKey(cfg) }
    return this.#targets.byKey
  }
}

interface TargetEntry {
  readonly kind: Kind
  readonly cfg: RouteConfig | QueueConfig
}

function targetsByKey(cfg: Config): Map<string, TargetEntry> {
  const out = new Map<string, TargetEntry>()
  for (const r of cfg.routes) out.set(refKey({ kind: 'route', name: r.name }), { kind: 'route', cfg: r })
  for (const q of cfg.queues) out.set(refKey({ kind: 'queue', name: q.name }), { kind: 'queue', cfg: q })
  return out
}

