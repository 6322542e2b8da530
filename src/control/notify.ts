import type { Logger } from 'pino'
import { request } from 'undici'
import type { TransitionNotice } from './commands.js'
import { figuresOf } from './commands.js'
import { toPercent } from './status.js'

/** One webhook POST may take this long before it counts as failed. */
const TIMEOUT_MS = 5000
/** Attempts per webhook: a short outage of the receiver does not lose the event. */
const ATTEMPTS = 3
const BACKOFF_MS = 500

/** The webhook body (README, Automatic rollouts). */
export function webhookBody(n: TransitionNotice): Record<string, unknown> {
  const body: Record<string, unknown> = {
    event: n.transition.notify, kind: n.ref.kind, name: n.ref.name, at: new Date(n.at).toISOString(),
    from: { percent: toPercent(n.from.percentBp), state: n.from.state },
    to: { percent: toPercent(n.to.percentBp), state: n.to.state },
    reason: n.transition.reason,
  }
  if (n.transition.verdict) body.figures = figuresOf(n.transition.verdict)
  return body
}

/**
 * POSTs rollbacks, completions and pauses to `notify.webhooks`, in the background: the controller
 * never waits for a receiver. Each URL gets a few attempts with a timeout; failures are logged.
 */
export class WebhookNotifier {
  readonly #pending = new Set<Promise<void>>()

  constructor(private readonly urls: () => readonly string[], private readonly logger: Logger) {}

  notify(n: TransitionNotice): void {
    const body = JSON.stringify(webhookBody(n))
    for (const url of this.urls()) {
      const p = this.#deliver(url, body).finally(() => this.#pending.delete(p))
      this.#pending.add(p)
    }
  }

  /** Wait for deliveries in flight (shutdown, tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending])
  }

  async #deliver(url: string, body: string): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await request(url, {
          method: 'POST', body, headers: { 'content-type': 'application/json', 'user-agent': 'sluice' },
          headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS,
        })
        await res.body.dump()
        if (res.statusCode < 300) return
        this.logger.warn({ url: redact(url), status: res.statusCode, attempt }, 'webhook refused the event')
      } catch (err) {
        this.logger.warn({ url: redact(url), err: (err as Error).message, attempt }, 'webhook delivery failed')
      }
      if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, BACKOFF_MS * attempt))
    }
    this.logger.error({ url: redact(url) }, 'webhook event dropped after retries')
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
