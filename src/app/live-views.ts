import type { Logger } from 'pino'
import type { Config } from '../config/types.js'
import type { StateStore } from '../state/store.js'
import { buildViews, buildViewsSliced, type ViewTable } from '../state/views.js'
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
  readonly dataPlane: Pick<HttpDataPlane, 'setRoutes' | 'prepareRoutes' | 'installRoutes'>
  readonly queuePlane: Pick<QueueDataPlane, 'setQueues'>
  readonly logger: Logger
  /** Queue routers consume jobs only once both listeners are up: before that, start() starts them. */
  readonly isListening: () => boolean
}

/**
 * The decision views of the running config over the live state, and everyone who reads them
 * (the planes, the goal counter, the live-state gauges): rebuilt on every live-state change, and
 * only once at the end while the file's intent is being applied.
 */
export class LiveViews {
  #views: ViewTable | undefined
  /** The file's intent is being applied: live-state changes refresh the views once, at the end. */
  #applyingIntent = false
  #changedWhileApplying = false

  constructor(private readonly opts: LiveViewsOptions) {}

  /** The views last built; undefined before the first refresh. */
  get current(): ViewTable | undefined {
    return this.#views
  }

  /** The store's change listener. */
  onLiveChange(): void {
    if (this.#applyingIntent) this.#changedWhileApplying = true
    else this.refresh()
  }

  /** A reload may change thousands of percents: one refresh of every view for all, not one per target. */
  async applyFileIntent(next: Config, prev: Config | undefined): Promise<void> {
    this.#applyingIntent = true
    try {
      await this.opts.commands.applyFileIntent(next, prev)
    } finally {
      this.#applyingIntent = false
      if (this.#changedWhileApplying) {
        this.#changedWhileApplying = false
        this.refresh()
      }
    }
  }

  /**
   * A reload's switch. The file's intent is applied with one refresh at the end; the views, pools and
   * compiled routes of `next` are made in slices while the old ones serve; then `commit` makes `next`
   * the running config and the route table is swapped in one step, so a request sees the old table or
   * the new one. A live change during the switch (or a failure) ends in one plain refresh instead.
   */
  async switchTo(next: Config, prev: Config | undefined, commit: () => void): Promise<void> {
    const { commands, store, dataPlane } = this.opts
    this.#applyingIntent = true
    let installed = false
    try {
      await commands.applyFileIntent(next, prev)
      // The intent's own changes are in the snapshot taken next: only a change after it needs a refresh.
      this.#changedWhileApplying = false
      const views = await buildViewsSliced(next.routes, next.queues, store.snapshot())
      const prepared = await dataPlane.prepareRoutes(next.routes, views.routes)
      commit()
      if (!this.#changedWhileApplying) {
        this.#install(views, () => dataPlane.installRoutes(prepared))
        installed = true
      }
    } finally {
      this.#applyingIntent = false
      this.#changedWhileApplying = false
      if (!installed) this.refresh()
    }
    await recordLiveStateSliced(this.opts.recorder, this.opts.config(), () => store.snapshot())
  }

  refresh(): void {
    const { config, store, recorder, dataPlane } = this.opts
    const cfg = config()
    const views = buildViews(cfg.routes, cfg.queues, store.snapshot())
    recordLiveState(recorder, cfg, store.snapshot())
    this.#install(views, () => dataPlane.setRoutes(cfg.routes, views.routes))
  }

  #install(views: ViewTable, setRoutes: () => void): void {
    this.#views = views
    this.opts.goals.configure(this.opts.config().routes, views.routes)
    setRoutes()
    if (this.opts.isListening()) this.startQueues() // else start() does, once it listens
  }

  /** (Re)start the queue routers on the current views; a failure is logged, the HTTP plane goes on. */
  startQueues(): void {
    this.opts.queuePlane.setQueues(this.opts.config().queues, this.#views!.queues)
      .catch((err: unknown) => this.opts.logger.error({ err }, 'queue routers could not be (re)started'))
  }
}
