import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib'
import type { Logger } from 'pino'
import { lazyModule } from '../../util/lazy-module.js'
import { redactUrl } from '../../util/redis-connection.js'
import { BrokerLink } from './link.js'

const amqplib = lazyModule<typeof import('amqplib')>('amqplib')

/** A refused or silent broker fails the connect attempt after this long (then: backoff, retry). */
export const AMQP_CONNECT_TIMEOUT_MS = 5_000

const PRECONDITION_FAILED = 406

/** A connection and the one channel sluice uses on it. */
export interface AmqpHandle<C extends Channel> {
  readonly model: ChannelModel
  readonly channel: C
}

/**
 * A self-healing AMQP connection with one channel on it (a confirm channel for sinks), the queue
 * declared durable when absent (one that exists with other arguments, such as a quorum queue, is
 * used as it is), and `setup` run on every (re)connect. The link is lost when either the
 * connection or the channel closes: a channel error (an unknown delivery tag, a deleted queue)
 * takes down only the channel in AMQP, but sluice re-opens both, which also re-declares the queue.
 */
export function amqpLink<C extends Channel>(
  url: string,
  role: string,
  queue: string,
  confirm: C extends ConfirmChannel ? true : false,
  logger: Logger,
  setup: (channel: C) => Promise<void> = async () => {},
): BrokerLink<AmqpHandle<C>> {
  return new BrokerLink<AmqpHandle<C>>({
    async open() {
      const model = await amqplib().connect(url, {
        timeout: AMQP_CONNECT_TIMEOUT_MS,
        clientProperties: { connection_name: `sluice-${role}` },
      })
      // Without listeners an 'error' event would throw; the link logs the loss through `lost`.
      model.on('error', () => {})
      model.on('blocked', (reason: string) => logger.warn({ role, reason }, 'amqp broker blocked publishing (resource alarm)'))
      model.on('unblocked', () => logger.info({ role }, 'amqp broker unblocked publishing'))
      const open = async (): Promise<C> => {
        const channel = (confirm ? await model.createConfirmChannel() : await model.createChannel()) as C
        channel.on('error', () => {})
        return channel
      }
      try {
        let channel = await open()
        try {
          await channel.assertQueue(queue, { durable: true })
        } catch (err) {
          // 406: the queue exists with other arguments (a quorum queue, a TTL, a dead-letter
          // exchange): it is the operator's, used as it is. The failed declare closed the channel.
          if ((err as { code?: unknown }).code !== PRECONDITION_FAILED) throw err
          channel = await open()
          await channel.checkQueue(queue)
        }
        await setup(channel)
        return { model, channel }
      } catch (err) {
        await model.close().catch(() => {})
        throw err
      }
    },
    lost: ({ model, channel }) => new Promise<unknown>((resolve) => {
      model.once('close', (err?: Error) => resolve(err ?? new Error('connection closed by the broker')))
      channel.once('close', () => resolve(new Error('channel closed by the broker')))
    }),
    async close({ model }) {
      await model.close()
    },
  }, { kind: 'amqp', role, target: redactUrl(url), logger })
}
