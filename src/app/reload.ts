import type { Logger } from 'pino'
import { formatProblem, sourcesUnchanged, type ConfigSources } from '../config/index.js'
import type { Config } from '../config/types.js'
import type { Recorder } from '../observe/metrics/recorder.js'
import type { Clock } from '../util/clock.js'
import { SluiceError } from '../util/errors.js'
import { keepUnchangedTargets } from './keep-unchanged.js'
import { loadConfigOffThread } from './load-off-thread.js'

export interface ReloadTarget {
  readonly logger: Logger
  readonly recorder: Recorder
  readonly clock: Clock
  /** The file to reload from; undefined for embedded configs (demo): nothing to reload. */
  readonly configPath: string | undefined
  isStopping(): boolean
  /** The config that runs now. */
  running(): Config
  /**
   * Make `next` the running config, all or nothing; throws (and keeps the running config) when its
   * live state cannot be written.
   */
  switchTo(next: Config): Promise<void>
}

/**
 * Config reloads (SIGHUP, file change, the 30 s poll, the admin API): serialised, parsing only when
 * the sources differ from what runs (or from what was last refused), and keeping
 * sluice_config_last_reload_successful up to date.
 */
export class ConfigReloader {
  #reloading: Promise<boolean> = Promise.resolve(true)
  /** sha256 of the running config file's bytes. */
  #hash: string
  /** What the running config was read from; undefined until known (the next reload then parses). */
  #sources: ConfigSources | undefined
  /** What the last refused, invalid file was read from: re-reading it unchanged would only repeat the problems. */
  #invalidSources: ConfigSources | undefined
  /** The last reload was refused (sluice_config_last_reload_successful 0). */
  #refused = false

  constructor(private readonly target: ReloadTarget, running: { hash: string; sources: ConfigSources | undefined }) {
    this.#hash = running.hash
    this.#sources = running.sources
  }

  /**
   * Re-read the config file; keep the running config when it is invalid or its live state cannot
   * be written. Resolves true when applied or unchanged, false when refused; never rejects.
   */
  reload(reason: string): Promise<boolean> {
    // Serialise reloads: a SIGHUP during a file-change reload waits for it. #reloadNow catches
    // everything itself; this catch only keeps one bug from breaking the chain for every later reload.
    this.#reloading = this.#reloading
      .then(() => this.#reloadNow(reason))
      .catch((err: unknown) => this.#refuse(reason, err))
    return this.#reloading
  }

  async #reloadNow(reason: string): Promise<boolean> {
    const path = this.target.configPath
    if (!path || this.target.isStopping()) return false
    try {
      return await this.#reloadFrom(path, reason)
    } catch (err) {
      return this.#refuse(reason, err)
    }
  }

  /** Compare the sources first (a hash and a few stats): the whole file is parsed only when something differs. */
  async #reloadFrom(path: string, reason: string): Promise<boolean> {
    const { logger } = this.target
    if (this.#sources && await sourcesUnchanged(path, this.#sources)) return this.#unchanged(reason)
    if (this.#invalidSources && await sourcesUnchanged(path, this.#invalidSources)) {
      logger[reason === 'poll' ? 'debug' : 'warn']({ reason }, 'config reload refused: the file is unchanged since it was refused')
      return false
    }
    // Parsed and checked in a worker thread: a file of 10,000 routes would hold the event loop for seconds.
    const result = await loadConfigOffThread(path)
    if (!result.ok) {
      for (const p of result.problems) logger.error({ reason, problem: formatProblem(p) }, 'config reload refused: the running config stays')
      this.#invalidSources = result.sources
      this.#mark(false)
      return false
    }
    this.#invalidSources = undefined
    const next = await keepUnchangedTargets(this.target.running(), result.config)
    await this.#switchTo(next, result.sources, reason)
    return true
  }

  /**
   * The app switches (and throws when the live state cannot be written: the old config keeps
   * serving and the next reload — the 30 s poll, a file change, SIGHUP — tries again, because the
   * running sources still differ from the file); only then do the running sources change.
   */
  async #switchTo(next: Config, sources: ConfigSources, reason: string): Promise<void> {
    await this.target.switchTo(next)
    const from = this.#hash.slice(0, 12)
    this.#hash = sources.hash
    this.#sources = sources
    this.#mark(true)
    this.target.logger.info({ reason, routes: next.routes.map((r) => r.name), from, hash: sources.hash.slice(0, 12) }, 'config reloaded')
  }

  #unchanged(reason: string): boolean {
    const { logger } = this.target
    // An operator who sent SIGHUP or called reload wants to hear that nothing changed; the 30 s
    // safety-net re-read would only fill the log.
    logger[reason === 'poll' ? 'debug' : 'info']({ reason, hash: this.#sources?.hash.slice(0, 12) }, 'config unchanged: nothing to reload')
    // The file was put back to what is running after a refused reload: nothing is pending any more.
    if (this.#refused) {
      logger.info({ reason }, 'the config file matches the running config again')
      this.#mark(true)
    }
    return true
  }

  #refuse(reason: string, err: unknown): false {
    const store = err instanceof SluiceError && err.code === 'SLUICE_ERR_STATE_STORE'
    this.target.logger.error({ reason, err }, store
      ? 'config reload refused: live state could not be written; the running config stays and the next reload retries'
      : 'config reload refused: the running config stays')
    this.#mark(false)
    return false
  }

  #mark(ok: boolean): void {
    this.#refused = !ok
    this.target.recorder.configReload(ok, this.target.clock.now())
  }
}
