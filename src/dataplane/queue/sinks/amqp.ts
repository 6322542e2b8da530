import type { ConfirmChannel } from 'amqplib'
import { amqpLink, type AmqpHandle } from '../amqp.js'
import { PublishError, REFUSED_STATUS, toPublishError } from '../failure.js'
import type { BrokerLink } from '../link.js'
import { SINK_COMMAND_TIMEOUT_MS } from '../redis.js'
import type { Job, QueueSink, SinkOptions } from '../types.js'

export interface AmqpSinkConfig {
  readonly url: string
  readonly queue: string
}

/**
 * Publishes to a durable AMQP queue (declared when absent) through the default exchange, on a
 * confirm channel: `publish` resolves only once the broker confirmed the message (for a durable
 * queue and a persistent message, RabbitMQ confirms after writing it to disk), so the source is
 * acknowledged only then. Messages are persistent, `content-type: application/json`, and carry the
 * job id as `messageId`. AMQP has no duplicate filter: a job published again (after a lost confirm
 * or a router crash) is a second message with the same `messageId`, by which workers dedupe.
 * Waiting for a connection and for the confirm are each bounded (then: a PublishError).
 */
export class AmqpSink implements QueueSink {
  readonly #link: BrokerLink<AmqpHandle<ConfirmChannel>>
  readonly #queue: string

  constructor(cfg: AmqpSinkConfig, opts: SinkOptions) {
    this.#queue = cfg.queue
    this.#link = amqpLink<ConfirmChannel>(cfg.url, 'sink', cfg.queue, true, opts.logger)
  }

  async publish(job: Job): Promise<void> {
    try {
      const { channel } = await this.#link.whenUp(SINK_COMMAND_TIMEOUT_MS)
      await this.#send(channel, job)
    } catch (err) {
      throw toPublishError(err)
    }
  }

  close(): Promise<void> {
    return this.#link.close()
  }

  #send(channel: ConfirmChannel, job: Job): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PublishError('timeout', REFUSED_STATUS,
        `amqp broker did not confirm within ${SINK_COMMAND_TIMEOUT_MS} ms`)), SINK_COMMAND_TIMEOUT_MS)
      const options = { persistent: true, messageId: job.id, contentType: 'application/json' }
      try {
        channel.sendToQueue(this.#queue, Buffer.from(job.body), options, (err: unknown) => {
          clearTimeout(timer)
          if (err === null || err === undefined) return resolve()
          reject(confirmError(err))
        })
      } catch (err) { // the channel closed under us
        clearTimeout(timer)
        reject(new PublishError('reset', REFUSED_STATUS, err instanceof Error ? err.message : String(err), err))
      }
    })
  }
}

/**
 * amqplib fails an unconfirmed message with 'channel closed' (lost: may have arrived) or 'message
 * nacked' (refused).
 */
function confirmError(err: unknown): PublishError {
  const message = err instanceof Error ? err.message : String(err)
  return new PublishError(message === 'channel closed' ? 'reset' : undefined, REFUSED_STATUS, `amqp broker: ${message}`, err)
}
