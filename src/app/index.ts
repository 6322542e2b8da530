import type { Logger } from 'pino'
import { formatProblem, loadConfigFile, sourcesUnchanged, type ConfigSources } from '../config/index.js'
import type { Config } from '../config/types.js'
import { SluiceError } from '../util/errors.js'
import { systemClock, type Clock } from '../util/clock.js'
import { randomId, systemRandom, type Random } from '../util/random.js'
import { hostname } from 'node:os'
import type { StateStore } from '../state/store.js'
import { createOutcomeBus } from '../observe/events.js'
import { createLogger } from '../observe/log.js'
import { GoalCounter } from '../observe/goals.js'
import { mismatchRateSince, ShadowLedger } from '../observe/shadow.js'
import { createRecorder, type Recorder } from '../observe/recorder.js'
import { recordLiveState } from '../observe/live-gauges.js'
import { analysisSeries } from '../observe/analysis-gauges.js'
import { SeriesBook } from '../observe/series.js'
import { HttpDataPlane } from '../dataplane/http/server.js'
import { JobRouter, QueueDataPlane } from '../dataplane/queue/index.js'
import { buildViews, prepareViews, type ViewTable } from '../state/views.js'
import { Commands } from '../control/commands.js'
import { RolloutController } from '../control/controller.js'
import { MetricCheckRunner } from '../control/metric-checks.js'
import { WebhookNotifier } from '../control/notify.js'
import { AnalysisWindows } from '../observe/window.js'
import { createAdminServer } from '../admin/server.js'
import { groupSizesOf } from '../admin/group-sizes.js'
import { createStore } from './store.js'
import { LeaderLease } from '../control/leader.js'
import { FleetFlusher, FleetWindowSource } from '../control/windows.js'
import { GoalSync } from '../control/goal-sync.js'
import { logStartSummary, warnRestartOnly, warnUnverifiedTls } from './log.js'
import { ProcessHooks } from './process-hooks.js'
import { VERSION } from '../util/version.js'

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
  #hash: string
  #notifier: WebhookNotifier
  #dataPlane: HttpDataPlane
  #queuePlane: QueueDataPlane
  #views: ViewTable | undefined
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
  #reloading: Promise<boolean> = Promise.resolve(true)
  /** What the running config was read from; undefined until known (the next reload then parses). */
  #sources: ConfigSources | undefined
  /** What the last refused, invalid file was read from: re-reading it unchanged would only repeat the problems. */
  #invalidSources: ConfigSources | undefined
  /** The last reload was refused (sluice_config_last_reload_successful 0). */
  #reloadRefused = false
  #lease: LeaderLease
  /** Shares goal counts with the fleet (Redis) or keeps them beside the state file; undefined without either. */
  #goalSync: GoalSync | undefined
  /** The store answers (always, for memory). */
  #storeUp = true
  /** Live state was loaded and the file's intent applied; until then /readyz says not ready. */
  #stateReady = false
  /** The file's intent is being applied: live-state changes refresh the views once, at the end. */
  #applyingIntent = false
  #changedWhileApplying = false

  constructor(private readonly opts: AppOptions) {
    this.#config = opts.config
    this.#hash = opts.configHash
    this.#sources = opts.configSources
    this.#clock = opts.clock ?? systemClock
    this.logger = opts.logger ?? createLogger({ level: opts.config.log.level })
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve })
    this.recorder = createRecorder({ version: VERSION })
    this.replica = `${hostname()}-${process.pid}-${randomId().slice(0, 6)}`
    this.store = createStore(opts.config, this.logger, this.#clock, this.replica, (up) => this.#onStoreUp(up))
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
      clock: this.#clock, replica: this.replica, store: this.store.kind, fleet: this.store.fleet, resolutionMs: opts.seriesResolutionMs,
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
      this.#goalSync = new GoalSync({ counter: this.#goals, log: goalLog, store: this.store, clock: this.#clock, logger: this.logger })
    }
    this.controller = new RolloutController({
      commands: this.commands, store: this.store, windows, clock: this.#clock, logger: this.logger,
      targets: () => this.#config, ...(opts.tickMs === undefined ? {} : { tickMs: opts.tickMs }),
      // Several replicas: every one hands its counts to the fleet; the lease holder judges the sum.
      ...(fleet ? { source: new FleetWindowSource(fleet), flusher: new FleetFlusher(windows, fleet, this.replica) } : {}),
      isActive: () => this.#lease.isLeader && this.#storeUp, goals: this.#goals,
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
    // Built before anything listens, so an insecure admin address fails start-up cleanly.
    this.#admin = this.#createAdmin()
  }

  #createAdmin(): ReturnType<typeof createAdminServer> {
    const c = this.opts.config
    return createAdminServer({
      listen: c.admin.listen, tls: c.admin.tls, token: c.admin.token, allowedHosts: c.admin.allowedHosts, recorder: this.recorder,
      commands: this.commands, store: this.store, targets: () => this.#config,
      readiness: () => this.#readiness(), logger: this.logger,
      rolloutFacts: (ref, cfg) => this.controller.info(ref, cfg),
      reportOutcomes: (queue, outcomes) => this.#publishWorkerOutcomes(queue, outcomes),
      groupSizes: (ref) => groupSizesOf(this.#views, ref), clock: this.#clock,
      goals: { goals: this.#goals, view: (route) => this.#views?.routes.get(route) }, series: this.#series,
      shadowReport: (route) => this.#dataPlane.shadow.report(route),
      ofrep: { routes: () => this.#dataPlane.routes, random: this.#random },
    })
  }

  /** Workers' job results: analysis input (origin 'worker'), not routing events. */
  #publishWorkerOutcomes(queue: string, outcomes: readonly { backend: 'old' | 'new'; ok: boolean; durationMs: number | undefined }[]): void {
    for (const o of outcomes) {
      this.#bus.publish({
        kind: 'queue', name: queue, side: o.backend, servedBy: o.backend, reason: 'bucket',
        status: o.ok ? 200 : 500, error: undefined, fellBack: false, durationMs: o.durationMs ?? Number.NaN, origin: 'worker',
      })
    }
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
    await this.#loadState()
    this.#refreshViews()
    this.store.onChange(() => this.#onLiveChange())
    const data = await this.#dataPlane.listen()
    const admin = await this.#admin.listen()
    this.#addresses = { data, admin }
    // Queue routers consume jobs: only once both listeners are up (a failed start takes no job).
    this.#startQueues(this.#views!)
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
    logStartSummary(this.logger, this.#config, this.store, { ...this.#addresses!, configPath: this.opts.configPath, replica: this.replica })
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
    // Serialise reloads: a SIGHUP during a file-change reload waits for it. #reloadNow catches
    // everything itself; this catch only keeps one bug from breaking the chain for every later reload.
    this.#reloading = this.#reloading.then(() => this.#reloadNow(reason)).catch((err: unknown) => this.#refuseReload(reason, err))
    return this.#reloading
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

  async #reloadNow(reason: string): Promise<boolean> {
    const path = this.opts.configPath
    if (!path || this.#stopping) return false
    try {
      return await this.#reloadFrom(path, reason)
    } catch (err) {
      return this.#refuseReload(reason, err)
    }
  }

  /** Compare the sources first (a hash and a few stats): the whole file is parsed only when something differs. */
  async #reloadFrom(path: string, reason: string): Promise<boolean> {
    if (this.#sources && await sourcesUnchanged(path, this.#sources)) return this.#unchanged(reason)
    if (this.#invalidSources && await sourcesUnchanged(path, this.#invalidSources)) {
      this.logger[reason === 'poll' ? 'debug' : 'warn']({ reason }, 'config reload refused: the file is unchanged since it was refused')
      return false
    }
    const result = await loadConfigFile(path)
    if (!result.ok) {
      for (const p of result.problems) this.logger.error({ reason, problem: formatProblem(p) }, 'config reload refused: the running config stays')
      this.#invalidSources = result.sources
      this.#markReload(false)
      return false
    }
    this.#invalidSources = undefined
    await this.#switchTo(result.config, result.sources, reason)
    return true
  }

  /**
   * All or nothing: the file's live-state intent is written first, and the running config, hash and
   * metrics switch only once that succeeded. A write that fails (Redis down, state file not
   * writable) throws out of here: the old config keeps serving and the next reload (the 30 s poll,
   * a file change, SIGHUP) tries again, because the running sources still differ from the file.
   */
  async #switchTo(next: Config, sources: ConfigSources, reason: string): Promise<void> {
    const prev = this.#config
    // Groups of a million ids: their member maps are built in slices now, not in one block below.
    await prepareViews(next.routes, next.queues, this.store.snapshot())
    await this.#applyFileIntent(next, prev)
    warnRestartOnly(this.logger, prev, next)
    // An unverified backend is said at every start and at every reload that keeps or adds one.
    warnUnverifiedTls(this.logger, next)
    this.#dataPlane.setTls(next.listenTls)
    this.#admin.setTls(next.admin.tls)
    this.recorder.setTargets(next.routes, next.queues)
    const from = this.#hash.slice(0, 12)
    this.#config = next
    this.#hash = sources.hash
    this.#sources = sources
    this.#refreshViews()
    this.#markReload(true)
    this.logger.info({ reason, routes: next.routes.map((r) => r.name), from, hash: sources.hash.slice(0, 12) }, 'config reloaded')
  }

  #unchanged(reason: string): boolean {
    // An operator who sent SIGHUP or called reload wants to hear that nothing changed; the 30 s
    // safety-net re-read would only fill the log.
    this.logger[reason === 'poll' ? 'debug' : 'info']({ reason, hash: this.#sources?.hash.slice(0, 12) }, 'config unchanged: nothing to reload')
    // The file was put back to what is running after a refused reload: nothing is pending any more.
    if (this.#reloadRefused) {
      this.logger.info({ reason }, 'the config file matches the running config again')
      this.#markReload(true)
    }
    return true
  }

  #refuseReload(reason: string, err: unknown): false {
    const store = err instanceof SluiceError && err.code === 'SLUICE_ERR_STATE_STORE'
    this.logger.error({ reason, err }, store
      ? 'config reload refused: live state could not be written; the running config stays and the next reload retries'
      : 'config reload refused: the running config stays')
    this.#markReload(false)
    return false
  }

  #markReload(ok: boolean): void {
    this.#reloadRefused = !ok
    this.recorder.configReload(ok, this.#clock.now())
  }

  #onLiveChange(): void {
    if (this.#applyingIntent) this.#changedWhileApplying = true
    else this.#refreshViews()
  }

  /** A reload may change thousands of percents: one refresh of every view for all, not one per target. */
  async #applyFileIntent(next: Config, prev: Config | undefined): Promise<void> {
    this.#applyingIntent = true
    try {
      await this.commands.applyFileIntent(next, prev)
    } finally {
      this.#applyingIntent = false
      if (this.#changedWhileApplying) {
        this.#changedWhileApplying = false
        this.#refreshViews()
      }
    }
  }

  #refreshViews(): void {
    const views = buildViews(this.#config.routes, this.#config.queues, this.store.snapshot())
    recordLiveState(this.recorder, this.#config, this.store.snapshot())
    this.#views = views
    this.#goals.configure(this.#config.routes, views.routes)
    this.#dataPlane.setRoutes(this.#config.routes, views.routes)
    if (this.#addresses !== undefined) this.#startQueues(views) // else start() does, once it listens
  }

  #startQueues(views: ViewTable): void {
    this.#queuePlane.setQueues(this.#config.queues, views.queues)
      .catch((err: unknown) => this.logger.error({ err }, 'queue routers could not be (re)started'))
  }

  /**
   * The in-process producer API for queue NAME: `add(job)` routes with this sluice's decision, live
   * state, metrics and rollout; `reportOutcome` feeds workers' results to analysis. The router keeps
   * the sinks of the config it was made with (make a new one after a reload that changes them).
   */
  jobRouter(name: string): JobRouter {
    const queue = this.#config.queues.find((q) => q.name === name)
    if (!queue) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no queue named '${name}' in the config`)
    return new JobRouter({
      queue, bus: this.#bus, random: this.#random, logger: this.logger,
      view: () => this.#views!.queues.get(name)!,
    })
  }

  /**
   * Ready once listening with live state loaded. A store outage after that shows in the checks but
   * keeps the replica ready: it serves from its last snapshot, and taking every replica out of the
   * load balancer at once for a Redis blip would turn it into an outage.
   */
  #readiness(): { ready: boolean; checks: Record<string, boolean> } {
    const checks = {
      config: true, listeners: this.#addresses !== undefined, stateLoaded: this.#stateReady,
      stateStore: this.#storeUp, notShuttingDown: !this.#stopping,
    }
    return { ready: this.#ready && this.#stateReady && !this.#stopping, checks }
  }

  /** Load live state and apply the file's intent; with the store down, serve the file until it answers. */
  async #loadState(): Promise<void> {
    try {
      await this.store.load()
      await this.#applyFileIntent(this.#config, undefined)
      this.#stateReady = true
    } catch (err) {
      if (!(err instanceof SluiceError && err.code === 'SLUICE_ERR_STATE_STORE')) throw err
      this.logger.warn({ err: err.message }, 'the state store is unreachable at start: serving the config file\'s percents until it answers')
    }
  }

  #onStoreUp(up: boolean): void {
    if (up === this.#storeUp && this.#stateReady) return
    const wasDown = !this.#storeUp
    this.#storeUp = up
    this.recorder.stateStoreUp(up)
    if (!up) {
      this.logger.warn('the state store is unreachable: serving from the last snapshot; the rollout controller decides nothing and admin changes answer 503 until it is back')
      return
    }
    if (wasDown) this.logger.info('the state store answers again: live state resynchronised')
    if (!this.#stateReady && this.#addresses) void this.#loadState().then(() => this.#refreshViews(), (err: unknown) => this.logger.error({ err }, 'loading live state failed'))
  }
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
