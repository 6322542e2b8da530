import { Pool } from 'undici'
import type { Logger } from 'pino'
import { backoffMs } from '../backoff.js'
import { sleep } from '../../../util/sleep.js'
import { PublishError, toPublishError } from '../failure.js'
import type { Job, QueueSink, SinkOptions } from '../types.js'

/** Enough parallel POSTs for the router's in-flight bound, without opening a socket per job. */
const CONNECTIONS = 64
/** Below Node's default server keep-alive (5 s), so the endpoint never closes a socket we reuse. */
const KEEP_ALIVE_MS = 4_000
/** Answers worth trying again: the endpoint's own trouble, not a refusal of this job (RFC 9110 §15). */
const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504])

export interface HttpSinkConfig {
  readonly url: string
  readonly timeoutMs: number
  readonly retries: number
}

/**
 * POSTs the job's JSON text to `url` with `content-type: application/json` and
 * `idempotency-key: <job id>` (the endpoint's duplicate filter, IETF httpapi idempotency-key draft).
 * A 2xx answer is a confirmation. Connect, header and body waits are each bounded by `timeout`.
 * Transport failures and 408/425/429/5xx are retried `retries` times with backoff (same key);
 * any other answer is a refusal at once. The last failure is the PublishError.
 */
export class HttpSink implements QueueSink {
  readonly #pool: Pool
  readonly #path: string
  readonly #cfg: HttpSinkConfig
  readonly #logger: Logger

  constructor(cfg: HttpSinkConfig, opts: SinkOptions) {
    const url = new URL(cfg.url)
    this.#cfg = cfg
    this.#path = url.pathname + url.search
    this.#logger = opts.logger
    this.#pool = new Pool(url.origin, {
      connections: CONNECTIONS,
      keepAliveTimeout: KEEP_ALIVE_MS,
      connect: { timeout: cfg.timeoutMs },
      headersTimeout: cfg.timeoutMs,
      bodyTimeout: cfg.timeoutMs,
    })
  }

  async publish(job: Job): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const failure = await this.#attempt(job)
      if (failure === undefined) return
      if (attempt >= this.#cfg.retries || !retryable(failure)) throw failure
      this.#logger.debug({ jobId: job.id, attempt, err: failure.message }, 'http sink: retrying')
      await sleep(backoffMs(attempt))
    }
  }

  close(): Promise<void> {
    return this.#pool.close()
  }

  /** One POST: undefined when confirmed, else why not. */
  async #attempt(job: Job): Promise<PublishError | undefined> {
    try {
      const res = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: { 'content-type': 'application/json', 'idempotency-key': job.id },
        body: job.body,
      })
      await res.body.dump()
      if (res.statusCode >= 200 && res.statusCode < 300) return undefined
      return new PublishError(undefined, res.statusCode, `the http sink answered ${res.statusCode}`)
    } catch (err) {
      return toPublishError(err)
    }
  }
}

function retryable(e: PublishError): boolean {
  return e.reason !== undefined || RETRY_STATUSES.has(e.sinkStatus)
}
