import type { Logger } from 'pino'
import type { ConfigSources } from '../config/index.js'
import type { Config } from '../config/types.js'
import { systemClock, type Clock } from '../util/clock.js'
import { randomId, systemRandom, type Random } from '../util/random.js'
import { hostname } from 'node:os'
import type { StateStore } from '../state/store.js'
import { createOutcomeBus } from '../observe/events.js'
import { createLogger } from '../observe/log.js'
import { GoalCounter } from '../observe/goals.js'
import { mismatchRateSince, ShadowLedger } from '../observe/shadow.js'
import { createRecorder, type Recorder } from '../observe/metrics/recorder.js'
import { analysisSeries } from '../observe/analysis-gauges.js'
import { SeriesBook } from '../observe/series.js'
import { HttpDataPlane } from '../dataplane/http/server.js'
import { buildWorkerOutcome, type JobRouter, QueueDataPlane } from '../dataplane/queue/index.js'
import { prepareViews } from '../state/views.js'
import { Commands } from '../control/commands.js'
import { RolloutController } from '../control/controller.js'
import { MetricCheckRunner } from '../control/metric-checks.js'
import { WebhookNotifier } from '../control/notify.js'
import { AnalysisWindows } from '../observe/analysis-windows.js'
import { createAdminServer } from '../admin/server.js'
import { groupSizesOf } from '../admin/group-sizes.js'
import { createStore } from './store.js'
import { LeaderLease } from '../control/leader.js'
import { FleetFlusher, FleetWindowSource } from '../control/window-sources.js'
import { GoalSync } from '../control/goal-sync.js'
import { logStartSummary, warnRestartOnly, warnUnverifiedTlsSliced } from './log.js'
import { ProcessHooks } from './process-hooks.js'
import { readinessOf, type Readiness } from './readiness.js'
import { ConfigReloader } from './reload.js'
import { StoreHealth } from './store-health.js'
import { LiveViews } from './live-views.js'
import { jobRouterFor } from './job-routers.js'
import { VERSION } from '../util/version.js'
import { sleep } from '../util/sleep.js'

export interface AppOptions {
  config: Config
  /** sha256 of the config file's bytes (LoadResult.hash). */
  configHash: string
  /** What the config was read from (LoadResult.sources): a reload that finds them unchanged parses nothing. */
  configSources?: ConfigSources
  /** The file to reload from on SIGHUP or change; undefined for embedded configs (demo). */
  configPath?: string
  logger?: Logger
  clock?: Clock
  random?: Random
  /** Install SIGTERM/SIGINT/SIGHUP handlers and watch the config file (the CLI does; tests may not). */
  handleSignals?: boolean
  /** Rollout controller tick (default 1 s). */
  tickMs?: number
  /** The dashboard time series' resolution (default 10 s; tests use less). */
  seriesResolutionMs?: number
}

export interface Addresses {
  data: { host: string; port: number }
  admin: { host: string; port: number }
}

/**
 * The composition root: the only module that picks concrete implementations and wires the planes.
 * Start order: store → recorder → live state → views → data plane → admin → queue routers (all or
 * nothing, see start); stop in reverse, after draining. `closed` resolves with the exit code once
 * everything has stopped.
 */
export class SluiceApp {
  readonly logger: Logger
  readonly recorder: Recorder
  readonly store: StateStore
  readonly commands: Commands
  readonly controller: RolloutController
  /** This replica's id in the fleet (lease holder, fleet-window contributor). */
  readonly replica: string
  readonly closed: Promise<number>
  #config: Config
  #notifier: WebhookNotifier
  #dataPlane: HttpDataPlane
  #queuePlane: QueueDataPlane
  readonly #views: LiveViews
  readonly #goals = new GoalCounter()
  readonly #series: SeriesBook
  #bus: ReturnType<typeof createOutcomeBus>
  #random: Random
  #admin: ReturnType<typeof createAdminServer>
  #clock: Clock
  #ready = false
  #stopping = false
  #resolveClosed!: (code: number) => void
  #hooks: ProcessHooks | undefined
  #addresses: Addresses | undefined
  readonly #reloader: ConfigReloader
  #lease: LeaderLease
  /** Shares goal counts with the fleet (Redis) or keeps them beside the state file; undefined without either. */
  #goalSync: GoalSync | undefined
  readonly #storeHealth: StoreHealth

  constructor(private readonly opts: AppOptions) {
    this.#config = opts.config
    this.#clock = opts.clock ?? systemClock
    this.logger = opts.logger ?? createLogger({ level: opts.config.log.level })
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve })
    this.recorder = createRecorder({ version: VERSION })
    this.replica = `${hostname()}-${process.pid}-${randomId().slice(0, 6)}`
    this.#storeHealth = new StoreHealth({
      logger: this.logger, recorder: this.recorder, isListening: () => this.#addresses !== undefined,
      loadState: () => this.#loadState(), refreshViews: () => this.#views.refresh(),
    })
    this.store = createStore(
      opts.config, this.logger, this.#clock, this.replica, (up) => this.#storeHealth.onStoreUp(up),
    )
    this.#lease = new LeaderLease({
      store: this.store, clock: this.#clock, logger: this.logger, holder: this.replica,
      ttlMs: opts.config.state.leaseTtlMs, onChange: (leader) => this.recorder.leader(leader),
    })
    const bus = createOutcomeBus()
    this.#bus = bus
    this.#random = opts.random ?? systemRandom
    const windows = new AnalysisWindows()
    bus.subscribe((o) => this.recorder.outcome(o))
    bus.subscribe((o) => windows.record(o))
    bus.subscribe((o) => this.#goals.record(o))
    this.recorder.watchGoals(() => this.#goals.series())
    this.recorder.watchAnalysis(() => analysisSeries(this.#config, this.store.snapshot()))
    this.#series = new SeriesBook({
      recorder: this.recorder, targets: () => this.#config, snapshot: () => this.store.snapshot(), goals: this.#goals,
      clock: this.#clock, replica: this.replica, store: this.store.kind, fleet: this.store.fleet,
      resolutionMs: opts.seriesResolutionMs,
      shadowMismatchRate: mismatchRateSince((route) => this.#dataPlane.shadow.report(route)),
    })
    this.#notifier = new WebhookNotifier(() => this.#config.notify.webhooks, this.logger, this.recorder)
    this.commands = new Commands({
      store: this.store, clock: this.#clock, logger: this.logger, recorder: this.recorder,
      targets: () => this.#config, onNotice: (n) => this.#notifier.notify(n),
    })
    const fleet = this.store.fleet
    const goalLog = this.store.goalLog
    if (goalLog) {
      this.#goals.shareWithFleet()
      this.#goalSync = new GoalSync({
        counter: this.#goals, log: goalLog, store: this.store, clock: this.#clock, logger: this.logger,
      })
    }
    this.controller = new RolloutController({
      commands: this.commands, store: this.store, windows, clock: this.#clock, logger: this.logger,
      targets: () => this.#config, ...(opts.tickMs === undefined ? {} : { tickMs: opts.tickMs }),
      // Several replicas: every one hands its counts to the fleet; the lease holder judges the sum.
      ...(fleet
        ? { source: new FleetWindowSource(fleet), flusher: new FleetFlusher(windows, fleet, this.replica) }
        : {}),
      isActive: () => this.#lease.isLeader && this.#storeHealth.up, goals: this.#goals,
      metricChecks: new MetricCheckRunner({ logger: this.logger, recorder: this.recorder }),
    })
    this.#queuePlane = new QueueDataPlane({
      bus, logger: this.logger, random: this.#random, onBacklog: (q, n) => this.recorder.queueBacklog(q, n),
    })
    this.#dataPlane = new HttpDataPlane({
      listen: opts.config.listen, bus, logger: this.logger, random: this.#random,
      access: { enabled: opts.config.log.access, sample: opts.config.log.accessSample }, goals: this.#goals,
      tls: opts.config.listenTls,
      // README "Shadow traffic": metrics, and the analysis windows (maxMismatchRate, fleet-wide with Redis).
      shadow: new ShadowLedger({
        series: (route) => this.recorder.shadowSeries(route),
        onJudged: (route, differed) => windows.recordShadow(route, differed),
        now: () => this.#clock.now(),
      }),
    })
    this.#views = new LiveViews({
      config: () => this.#config, store: this.store, commands: this.commands, recorder: this.recorder,
      goals: this.#goals, dataPlane: this.#dataPlane, queuePlane: this.#queuePlane, logger: this.logger,
      isListening: () => this.#addresses !== undefined,
    })
    // Built before anything listens, so an insecure admin address fails start-up cleanly.
    this.#admin = this.#createAdmin()
    this.#reloader = new ConfigReloader({
      logger: this.logger, recorder: this.recorder, clock: this.#clock, configPath: opts.configPath,
      isStopping: () => this.#stopping, running: () => this.#config, switchTo: (next) => this.#switchTo(next),
    }, { hash: opts.configHash, sources: opts.configSources })
  }

  #createAdmin(): ReturnType<typeof createAdminServer> {
    const c = this.opts.config
    return createAdminServer({
      listen: c.admin.listen, tls: c.admin.tls, token: c.admin.token, allowedHosts: c.admin.allowedHosts,
      recorder: this.recorder,
      commands: this.commands, store: this.store, targets: () => this.#config,
      readiness: () => this.#readiness(), logger: this.logger,
      rolloutFacts: (ref, cfg) => this.controller.info(ref, cfg),
      reportOutcomes: (queue, outcomes) => {
        for (const o of outcomes) this.#bus.publish(buildWorkerOutcome(queue, o))
      },
      groupSizes: (ref) => groupSizesOf(this.#views.current, ref), clock: this.#clock,
      goals: { goals: this.#goals, view: (route) => this.#views.current?.routes.get(route) }, series: this.#series,
      shadowReport: (route) => this.#dataPlane.shadow.report(route),
      ofrep: { routes: () => this.#dataPlane.routes, random: this.#random },
    })
  }

  get config(): Config {
    return this.#config
  }

  get addresses(): Addresses {
    if (!this.#addresses) throw new Error('sluice has not started')
    return this.#addresses
  }

  /**
   * All or nothing: when any step fails (a port taken, the store refusing), everything already
   * started is stopped and closed again before the error is rethrown, so a failed start leaves no
   * queue consumer, lease or connection behind; `closed` then resolves with 1.
   */
  async start(): Promise<Addresses> {
    try {
      return await this.#start()
    } catch (err) {
      await this.#abortStart(err)
      throw err
    }
  }

  async #start(): Promise<Addresses> {
    this.recorder.setTargets(this.#config.routes, this.#config.queues)
    this.recorder.configReload(true, this.#clock.now())
    if (this.store.kind === 'memory') this.recorder.stateStoreUp(true)
    await this.#storeHealth.loadState()
    this.#views.refresh()
    this.store.onChange((ref) => this.#views.onLiveChange(ref))
    // The first goal pass starts the tallies afresh and replays the goal log (what a restart left):
    // done before the first request, or the counts of the first second would vanish until replayed.
    await this.#goalSync?.syncAll()
    const data = await this.#dataPlane.listen()
    const admin = await this.#admin.listen()
    this.#addresses = { data, admin }
    // Queue routers consume jobs: only once both listeners are up (a failed start takes no job).
    this.#views.startQueues()
    await this.#lease.start()
    this.controller.start()
    this.#goalSync?.start()
    this.#series.start()
    this.#ready = true
    if (this.opts.handleSignals) {
      this.#hooks = new ProcessHooks({
        logger: this.logger, clock: this.#clock, configPath: this.opts.configPath,
        reload: (r) => this.reload(r), shutdown: (sig) => this.shutdown(sig), isStopping: () => this.#stopping,
        forceExit: (sig) => { this.logger.warn({ signal: sig }, 'second signal: exiting now'); this.#resolveClosed(1) },
      })
      this.#hooks.install()
    }
    logStartSummary(this.logger, this.#config, this.store, {
      ...this.#addresses!, configPath: this.opts.configPath, replica: this.replica,
    })
    return this.#addresses
  }

  /** Undo a partial start, whatever got started; never throws (the start error is what matters). */
  async #abortStart(err: unknown): Promise<void> {
    this.#stopping = true
    this.logger.error({ err }, 'start failed: stopping everything that had started')
    this.#hooks?.stopReloads()
    this.controller.stop()
    this.#goalSync?.stop()
    this.#series.stop()
    const steps = [this.#lease.stop(), this.#dataPlane.close(0), this.#queuePlane.close(0), this.#admin.close()]
    await Promise.allSettled(steps)
    await this.store.close().catch(() => undefined)
    this.#resolveClosed(1)
  }

  /**
   * Re-read the config file; keep the running config when it is invalid or its live state cannot
   * be written. Resolves true when applied or unchanged, false when refused; never rejects.
   */
  reload(reason: string): Promise<boolean> {
    return this.#reloader.reload(reason)
  }

  /** Graceful stop: readiness off, drain, close listeners (bounded), close the store. */
  async shutdown(signal: string): Promise<void> {
    if (this.#stopping) return
    this.#stopping = true
    this.#ready = false
    const { drainDelayMs, timeoutMs } = this.#config.shutdown
    this.logger.info({ signal, drainDelayMs, timeoutMs, inflight: this.#dataPlane.inflight() }, 'shutting down')
    this.#hooks?.stopReloads()
    this.controller.stop()
    this.#goalSync?.stop()
    this.#series.stop()
    await this.#lease.stop()
    this.#dataPlane.startDrain()
    if (drainDelayMs > 0) await sleep(drainDelayMs)
    await Promise.all([this.#dataPlane.close(timeoutMs), this.#queuePlane.close(timeoutMs)])
    await this.#admin.close()
    await this.#goalSync?.syncAll() // what was counted since the last pass still reaches the fleet
    await this.#notifier.flush()
    await this.store.close()
    this.logger.info('stopped')
    this.#resolveClosed(0)
  }

  /**
   * All or nothing: the file's live-state intent is written first, and the running config and
   * metrics switch only once that succeeded. A write that fails (Redis down, state file not
   * writable) throws out of here and the old config keeps serving (see ConfigReloader).
   */
  async #switchTo(next: Config): Promise<void> {
    const prev = this.#config
    // Groups of a million ids: their member maps are built in slices now, not in one block below.
    await prepareViews(next.routes, next.queues, this.store.snapshot())
    // The metric series of next's new targets exist before the swap; the removed ones go after it.
    await this.recorder.addTargets(next.routes, next.queues)
    try {
      await this.#views.switchTo(next, prev, () => {
        warnRestartOnly(this.logger, prev, next)
        this.#dataPlane.setTls(next.listenTls)
        this.#admin.setTls(next.admin.tls)
        this.#config = next
      })
      // An unverified backend is said at every start and at every reload that keeps or adds one.
      await warnUnverifiedTlsSliced(this.logger, next)
    } finally {
      // A refused switch keeps the running config: the series added for next go again.
      await this.recorder.retainTargets(this.#config.routes, this.#config.queues)
    }
  }

  /**
   * The in-process producer API for queue NAME: `add(job)` routes with this sluice's decision, live
   * state, metrics and rollout; `reportOutcome` feeds workers' results to analysis. The router keeps
   * the sinks of the config it was made with (make a new one after a reload that changes them).
   */
  jobRouter(name: string): JobRouter {
    return jobRouterFor(name, {
      config: this.#config, bus: this.#bus, random: this.#random, logger: this.logger, views: () => this.#views.current,
    })
  }

  #readiness(): Readiness {
    return readinessOf({
      started: this.#ready, listening: this.#addresses !== undefined, stateLoaded: this.#storeHealth.stateLoaded,
      storeUp: this.#storeHealth.up, stopping: this.#stopping,
    })
  }

  /** Live state, then the file's intent over it (StoreHealth decides what a store outage means). */
  async #loadState(): Promise<void> {
    await this.store.load()
    await this.#views.applyFileIntent(this.#config, undefined)
  }
}

