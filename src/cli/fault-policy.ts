import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { InternalErrorSource } from '../observe/metrics/recorder.js'

export interface FaultPolicyDeps {
  readonly logger: Logger
  /** Counts the fault (sluice_internal_errors_total). */
  readonly count: (source: InternalErrorSource) => void
  /** The emitter of 'uncaughtException' and 'unhandledRejection'; `process` unless a test passes another. */
  readonly proc?: Pick<EventEmitter, 'on' | 'off'>
}

/**
 * The process-level policy for faults nothing handled (issue 11, "never crash, never lie"):
 * - while starting, a fault is fatal: `fatal` resolves with it and `sluice start` exits 1 (a
 *   half-built process is not worth keeping; the supervisor restarts it);
 * - once serving, the fault is logged with its stack, counted in sluice_internal_errors_total
 *   and the process keeps serving: one failed callback or a promise nobody awaited must not drop
 *   every in-flight request and queue job. The counter is what alerts an operator to the bug.
 * Node's own default (print and exit) is what happens before `install`, while the config loads.
 */
export class FaultPolicy {
  /** Resolves with the first fault seen before `serving()`; never rejects. */
  readonly fatal: Promise<Error>
  #serving = false
  #resolveFatal!: (err: Error) => void
  readonly #proc: Pick<EventEmitter, 'on' | 'off'>

  constructor(private readonly deps: FaultPolicyDeps) {
    this.#proc = deps.proc ?? process
    this.fatal = new Promise((resolve) => { this.#resolveFatal = resolve })
  }

  install(): this {
    this.#proc.on('uncaughtException', this.#onException)
    this.#proc.on('unhandledRejection', this.#onRejection)
    return this
  }

  /** Start-up is over: from now on a fault is logged and counted, not fatal. */
  serving(): void {
    this.#serving = true
  }

  uninstall(): void {
    this.#proc.off('uncaughtException', this.#onException)
    this.#proc.off('unhandledRejection', this.#onRejection)
  }

  readonly #onException = (err: unknown): void => this.#fault('uncaught_exception', err)
  readonly #onRejection = (reason: unknown): void => this.#fault('unhandled_rejection', reason)

  #fault(source: InternalErrorSource, thrown: unknown): void {
    // A rejection may carry anything; an Error gives the log its stack.
    const err = thrown instanceof Error ? thrown : new Error(`non-error value: ${String(thrown)}`)
    this.deps.count(source)
    if (this.#serving) {
      this.deps.logger.error({ err, source }, 'internal error (a bug): logged and counted, sluice keeps serving')
      return
    }
    this.deps.logger.fatal({ err, source }, 'internal error during start: exiting with 1')
    this.#resolveFatal(err)
  }
}
