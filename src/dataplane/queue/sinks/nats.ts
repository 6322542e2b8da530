import type { BrokerLink } from '../link.js'
import { natsLink, natsPublishError, type NatsHandle } from '../nats.js'
import { SINK_COMMAND_TIMEOUT_MS } from '../redis.js'
import { endOfTurn } from '../turn.js'
import type { Job, QueueSink, SinkOptions } from '../types.js'

export interface NatsSinkConfig {
  readonly url: string
  readonly subject: string
}

/**
 * A JetStream publish to `subject`: `publish` resolves only once the stream that captures the
 * subject answered with its PubAck (the job is stored), so the source is acknowledged only then.
 * The job id travels as `Nats-Msg-Id`: within the stream's duplicate window (2 minutes unless the
 * stream says otherwise) JetStream stores a re-published id once, so a redelivered job adds nothing.
 * The stream is the operator's (sluice publishes to it, never creates it): without one, publishing
 * fails with a message saying so. Waiting for a connection and for the PubAck are each bounded.
 */
export class NatsSink implements QueueSink {
  readonly #link: BrokerLink<NatsHandle>
  readonly #subject: string

  constructor(cfg: NatsSinkConfig, opts: SinkOptions) {
    this.#subject = cfg.subject
    this.#link = natsLink(cfg.url, 'sink', opts.logger)
  }

  async publish(job: Job): Promise<void> {
    try {
      const { js } = await this.#link.whenUp(SINK_COMMAND_TIMEOUT_MS)
      await endOfTurn()
      await js.publish(this.#subject, job.body, { msgID: job.id, timeout: SINK_COMMAND_TIMEOUT_MS })
    } catch (err) {
      throw natsPublishError(err, this.#subject)
    }
  }

  close(): Promise<void> {
    return this.#link.close()
  }
}
