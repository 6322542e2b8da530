import type { JetStreamClient } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import { lazyModule } from '../../util/lazy-module.js'
import { redactUrl } from '../../util/redis-connection.js'
import { PublishError, REFUSED_STATUS, toPublishError } from './failure.js'
import { BrokerLink } from './link.js'
import { SINK_COMMAND_TIMEOUT_MS } from './redis.js'

const transport = lazyModule<typeof import('@nats-io/transport-node')>('@nats-io/transport-node')
export const jetstreamModule = lazyModule<typeof import('@nats-io/jetstream')>('@nats-io/jetstream')

/** A first connect attempt fails after this long (then: the link's backoff and another attempt). */
const CONNECT_TIMEOUT_MS = 5_000
/** Pause between the client's own reconnect attempts once connected (it never gives up). */
const RECONNECT_WAIT_MS = 500
/** Dead peers are noticed within about two of these. */
const PING_INTERVAL_MS = 10_000

export interface NatsHandle {
  readonly nc: NatsConnection
  readonly js: JetStreamClient
}

/**
 * A NATS connection with a JetStream context. The first connect is the link's (backoff, one log
 * line per state change, publishes fail instead of waiting forever); once connected, the client
 * reconnects by itself without limit and its disconnect/reconnect events are logged once each.
 * The link re-opens only if the client gives the connection up (an authorization failure, say).
 */
export function natsLink(url: string, role: string, logger: Logger): BrokerLink<NatsHandle> {
  const target = redactNatsUrl(url)
  return new BrokerLink<NatsHandle>({
    async open() {
      const nc = await transport().connect({
        ...serverAndCredentials(url),
        name: `sluice-${role}`,
        timeout: CONNECT_TIMEOUT_MS,
        maxReconnectAttempts: -1,
        reconnectTimeWait: RECONNECT_WAIT_MS,
        pingInterval: PING_INTERVAL_MS,
      })
      void logStatus(nc, role, target, logger)
      return { nc, js: jetstreamModule().jetstream(nc, { timeout: SINK_COMMAND_TIMEOUT_MS }) }
    },
    lost: ({ nc }) => nc.closed().then((err) => err ?? new Error('connection closed')),
    async close({ nc }) {
      // drain sends what is buffered (acks, naks) before closing.
      await nc.drain().catch(() => nc.close())
    },
  }, { kind: 'nats', role, target, logger })
}

/** For logs: without the password, and without a token (a user name alone is one). */
export function redactNatsUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.username !== '' && u.password === '') u.username = '***'
    return redactUrl(u.toString())
  } catch {
    return '<invalid url>'
  }
}

/**
 * The client takes credentials as options, not from the URL: `nats://user:pass@host` gives `user`
 * and `pass`, `nats://token@host` a `token`; the server URL goes without them.
 */
export function serverAndCredentials(url: string): { servers: string; user?: string; pass?: string; token?: string } {
  const u = new URL(url)
  const user = decodeURIComponent(u.username)
  const pass = decodeURIComponent(u.password)
  u.username = ''
  u.password = ''
  const servers = u.toString().replace(/\/$/, '')
  if (user === '') return { servers }
  return pass === '' ? { servers, token: user } : { servers, user, pass }
}

/** The client's own reconnects, one line per change (it reports every attempt; we do not). */
async function logStatus(nc: NatsConnection, role: string, broker: string, logger: Logger): Promise<void> {
  let down = false
  for await (const s of nc.status()) {
    if (s.type === 'disconnect' && !down) {
      down = true
      logger.warn({ role, broker }, 'nats connection lost; reconnecting')
    } else if (s.type === 'reconnect' && down) {
      down = false
      logger.info({ role, broker }, 'nats connection back')
    }
  }
}

/**
 * A NATS or JetStream failure as a PublishError: no responders means no stream captures the
 * subject (a refusal that names the fix); timeouts and closed connections are transport failures.
 */
export function natsPublishError(err: unknown, subject: string): PublishError {
  const name = err instanceof Error ? err.name : ''
  const message = err instanceof Error ? err.message : String(err)
  // The client reports the server's "no responders" to a JetStream publish as JetStreamNotEnabled.
  if (name === 'NoRespondersError' || name === 'JetStreamNotEnabled' || /no responders/i.test(message)) {
    return new PublishError(undefined, REFUSED_STATUS, `no JetStream stream captures subject '${subject}' (or JetStream is off): create a stream for it`, err)
  }
  if (name === 'TimeoutError') return new PublishError('timeout', REFUSED_STATUS, `nats: ${message}`, err)
  if (name === 'ClosedConnectionError' || name === 'DrainingConnectionError') return new PublishError('reset', REFUSED_STATUS, `nats: ${message}`, err)
  return toPublishError(err)
}

/** NATS subject matching: `*` is one token, a trailing `>` one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.')
  const s = subject.split('.')
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false
  }
  return p.length === s.length
}

/** Milliseconds as the nanoseconds the JetStream API speaks. */
export function nanos(ms: number): number {
  return ms * 1_000_000
}
