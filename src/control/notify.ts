import { createHmac } from 'node:crypto'
import type { Logger } from 'pino'
import { request } from 'undici'
import type { WebhookConfig } from '../config/types.js'
import type { Recorder } from '../observe/metrics/recorder.js'
import type { TransitionNotice } from './commands.js'
import { webhookBody } from './webhook-message.js'
import { sleep } from '../util/sleep.js'

export { webhookBody } from './webhook-message.js'

/** One webhook POST may take this long before it counts as failed. */
const TIMEOUT_MS = 5000
/** Attempts per webhook: a short outage of the receiver does not lose the event. */
const ATTEMPTS = 3
const BACKOFF_MS = 500

/**
 * x-sluice-signature: `sha256=` + hex HMAC-SHA256, keyed by the webhook's `secret`, of
 * `TIMESTAMP.BODY`, where TIMESTAMP is the x-sluice-timestamp header (Unix seconds) and BODY the raw
 * request body. Signing the timestamp with the body lets a receiver refuse replays of an old event
 * (README "Webhooks" shows the check).
 */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

/**
 * POSTs transitions to `notify.webhooks`, each in its format and only the events it asked for, in
 * the background: the controller never waits for a receiver. Each delivery gets a few attempts with
 * a timeout; every attempt's result counts in sluice_webhook_deliveries_total, failures are logged.
 */
export class WebhookNotifier {
  readonly #pending = new Set<Promise<void>>()

  constructor(
    private readonly webhooks: () => readonly WebhookConfig[],
    private readonly logger: Logger,
    private readonly recorder: Pick<Recorder, 'webhookDelivery'>,
    private readonly now: () => number = Date.now,
  ) {}

  notify(n: TransitionNotice): void {
    const event = n.transition.notify
    if (event === undefined) return
    for (const hook of this.webhooks()) {
      if (!hook.events.includes(event)) continue
      const p = this.#deliver(hook, JSON.stringify(webhookBody(n, hook.format))).finally(() => this.#pending.delete(p))
      this.#pending.add(p)
    }
  }

  /** Wait for deliveries in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending])
  }

  async #deliver(hook: WebhookConfig, body: string): Promise<void> {
    const url = redact(hook.url)
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await request(hook.url, { method: 'POST', body, headers: this.#headers(hook, body), headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS })
        await res.body.dump()
        if (res.statusCode < 300) {
          this.recorder.webhookDelivery('delivered')
          return
        }
        this.logger.warn({ url, status: res.statusCode, attempt }, 'webhook refused the event')
      } catch (err) {
        this.logger.warn({ url, err: (err as Error).message, attempt }, 'webhook delivery failed')
      }
      if (attempt < ATTEMPTS) {
        this.recorder.webhookDelivery('retried')
        await sleep(BACKOFF_MS * attempt)
      }
    }
    this.recorder.webhookDelivery('failed')
    this.logger.error({ url }, 'webhook event dropped after retries')
  }

  /** Configured headers first, so they can never replace content-type or the signature. */
  #headers(hook: WebhookConfig, body: string): Record<string, string> {
    const headers: Record<string, string> = { ...hook.headers, 'content-type': 'application/json', 'user-agent': 'sluice' }
    if (hook.secret !== undefined) {
      const timestamp = String(Math.floor(this.now() / 1000))
      headers['x-sluice-timestamp'] = timestamp
      headers['x-sluice-signature'] = webhookSignature(hook.secret, timestamp, body)
    }
    return headers
  }
}

/** Webhook URLs often carry a secret in the path or query: log only the origin. */
function redact(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return '<invalid url>'
  }
}
