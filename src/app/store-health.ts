import type { Logger } from 'pino'
import type { Recorder } from '../observe/metrics/recorder.js'
import { SluiceError } from '../util/errors.js'

export interface StoreHealthTarget {
  readonly logger: Logger
  readonly recorder: Recorder
  /** Load live state and apply the file's intent (throws SLUICE_ERR_STATE_STORE while the store is down). */
  loadState(): Promise<void>
  /** The listeners are up: a late load refreshes the views itself (before that, start() does). */
  isListening(): boolean
  refreshViews(): void
}

/**
 * Whether the state store answers and whether live state was loaded: a store down at start leaves
 * the file's percents serving until it answers, then live state is loaded late; a store lost later
 * leaves the last snapshot serving (the controller decides nothing meanwhile).
 */
export class StoreHealth {
  /** The store answers (always, for memory). */
  #up = true
  /** Live state was loaded and the file's intent applied; until then /readyz says not ready. */
  #stateLoaded = false

  constructor(private readonly target: StoreHealthTarget) {}

  get up(): boolean {
    return this.#up
  }

  get stateLoaded(): boolean {
    return this.#stateLoaded
  }

  /** Load live state and apply the file's intent; with the store down, serve the file until it answers. */
  async loadState(): Promise<void> {
    try {
      await this.target.loadState()
      this.#stateLoaded = true
    } catch (err) {
      if (!(err instanceof SluiceError && err.code === 'SLUICE_ERR_STATE_STORE')) throw err
      this.target.logger.warn({ err: err.message }, 'the state store is unreachable at start: serving the config file\'s percents until it answers')
    }
  }

  /** The store's reachability changed (the Redis store reports it). */
  onStoreUp(up: boolean): void {
    const { logger, recorder } = this.target
    if (up === this.#up && this.#stateLoaded) return
    const wasDown = !this.#up
    this.#up = up
    recorder.stateStoreUp(up)
    if (!up) {
      logger.warn('the state store is unreachable: serving from the last snapshot; the rollout controller decides nothing and admin changes answer 503 until it is back')
      return
    }
    if (wasDown) logger.info('the state store answers again: live state resynchronised')
    if (!this.#stateLoaded && this.target.isListening()) {
      void this.loadState().then(() => this.target.refreshViews(), (err: unknown) => logger.error({ err }, 'loading live state failed'))
    }
  }
}
