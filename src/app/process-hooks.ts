import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { Logger } from 'pino'
import type { Clock, Timer } from '../util/clock.js'

/** How long file-change events are coalesced before a reload (editors write in several steps). */
const WATCH_DEBOUNCE_MS = 250
/**
 * Safety net for missed file events (NFS, some container mounts, users files in other directories):
 * hash the config file and stat the users files; parse only when they differ.
 */
const WATCH_POLL_MS = 30_000

export interface ProcessHookTarget {
  readonly logger: Logger
  readonly clock: Clock
  /** undefined for embedded configs: nothing to watch. */
  readonly configPath: string | undefined
  reload(reason: string): Promise<boolean>
  /** First SIGTERM/SIGINT: drain and stop. */
  shutdown(signal: string): Promise<void>
  /** Second signal while stopping: give up on the drain. */
  forceExit(signal: string): void
  isStopping(): boolean
}

/**
 * The process edges of a running sluice: SIGTERM/SIGINT drain, SIGHUP and config-file changes
 * reload. `stopReloads()` (called when shutdown starts) keeps the termination signals so a second
 * one still forces the exit.
 */
export class ProcessHooks {
  #handlers: Array<[NodeJS.Signals, () => void]> = []
  #watcher: FSWatcher | undefined
  #poll: Timer | undefined
  #debounce: Timer | undefined

  constructor(private readonly app: ProcessHookTarget) {}

  install(): void {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      this.#on(sig, () => {
        if (this.app.isStopping()) this.app.forceExit(sig)
        else void this.app.shutdown(sig)
      })
    }
    this.#on('SIGHUP', () => this.#reload('SIGHUP'))
    this.#watchConfig()
  }

  stopReloads(): void {
    for (const [sig, fn] of this.#handlers) if (sig === 'SIGHUP') process.off(sig, fn)
    this.#watcher?.close()
    this.#poll?.stop()
    this.#debounce?.stop()
  }

  /**
   * reload() never rejects (a refused reload resolves false and is logged by the app); the catch is
   * the last guard: an unhandled rejection would end the process, and a config edit during a Redis
   * outage must never take down every replica at once.
   */
  #reload(reason: string): void {
    this.app.reload(reason).catch((err: unknown) => this.app.logger.error({ err, reason }, 'config reload failed unexpectedly; the running config stays'))
  }

  #on(sig: NodeJS.Signals, fn: () => void): void {
    process.on(sig, fn)
    this.#handlers.push([sig, fn])
  }

  /**
   * Watch the config file's directory, not the file: Kubernetes ConfigMaps swap a `..data` symlink
   * and editors rename into place, both invisible to a watch on the file itself.
   */
  #watchConfig(): void {
    const { configPath: path, clock, logger } = this.app
    if (!path) return
    const name = basename(path)
    const schedule = () => {
      this.#debounce?.stop()
      this.#debounce = clock.after(WATCH_DEBOUNCE_MS, () => this.#reload('file changed'))
    }
    try {
      this.#watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
        if (file === null || file === name || file === '..data') schedule()
      })
      this.#watcher.on('error', (err) => logger.warn({ err }, 'config watch failed; SIGHUP still reloads'))
    } catch (err) {
      logger.warn({ err }, 'cannot watch the config directory; SIGHUP still reloads')
    }
    this.#poll = clock.every(WATCH_POLL_MS, () => this.#reload('poll'))
  }
}
