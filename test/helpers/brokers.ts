import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { connect as amqpConnect, type ChannelModel } from 'amqplib'
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { afterAll, beforeAll } from 'vitest'
import { findExecutable } from './tools.js'
import { waitFor } from './wait-for.js'

/**
 * The machine's RabbitMQ (127.0.0.1:5672, guest/guest) and NATS JetStream (127.0.0.1:4222), which
 * .ci/run starts when they are not running. Tests never touch what they did not create: RabbitMQ
 * tests work in a private vhost (deleted with everything in it afterwards), NATS tests in uniquely
 * named streams and subjects (deleted afterwards), or on a private nats-server they spawn.
 */
export const RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672'
export const NATS_URL = 'nats://127.0.0.1:4222'
export const RABBITMQCTL = findExecutable('rabbitmqctl', { envVar: 'RABBITMQCTL_BIN', wellKnown: ['/usr/sbin/rabbitmqctl'] })
export const NATS_SERVER = findExecutable('nats-server', { envVar: 'NATS_SERVER_BIN', wellKnown: ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'] })

const run = promisify(execFile)

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`
}

async function rabbitmqctl(...args: string[]): Promise<string> {
  if (RABBITMQCTL === undefined) throw new Error('rabbitmqctl is not installed (Debian package "rabbitmq-server"; .ci/run installs it)')
  const { stdout } = await run(RABBITMQCTL, ['-q', ...args], { timeout: 60_000 })
  return stdout
}

/** A private RabbitMQ vhost for one test file: `url` points into it; `delete()` removes it with all its queues. */
export class RabbitVhost {
  readonly name = uniqueName('sluice-test')

  get url(): string {
    return `${RABBITMQ_URL}/${encodeURIComponent(this.name)}`
  }

  async create(): Promise<this> {
    await rabbitmqctl('add_vhost', this.name)
    await rabbitmqctl('set_permissions', '-p', this.name, 'guest', '.*', '.*', '.*')
    return this
  }

  /** The broker closes every client connection of this vhost (what a broker restart does to clients). */
  closeConnections(): Promise<string> {
    return rabbitmqctl('close_all_connections', '-p', this.name, 'sluice test: broker-side close')
  }

  /** Client connections the broker has open on this vhost. */
  async connections(): Promise<number> {
    const out = await rabbitmqctl('list_connections', '-p', this.name, 'name')
    return out.split('\n').filter((l) => l.trim() !== '' && l.trim() !== 'name').length
  }

  async delete(): Promise<void> {
    await rabbitmqctl('delete_vhost', this.name).catch(() => {})
  }
}

export interface RabbitFixture {
  readonly vhost: RabbitVhost
  /** An amqplib connection into the vhost; a test whose broker closed it puts a new one here. */
  amqp: ChannelModel
}

/**
 * For one file or describe block: a private vhost and an amqplib connection into it (and `nats`
 * opened, when given) before all tests; after them the connection and `nats` closed, the vhost deleted.
 */
export function useRabbitVhost(nats?: NatsAdmin): RabbitFixture {
  const f = { vhost: new RabbitVhost() } as RabbitFixture
  beforeAll(async () => {
    await f.vhost.create()
    f.amqp = await amqpConnect(f.vhost.url)
    await nats?.open()
  })
  afterAll(async () => {
    await f.amqp?.close().catch(() => {})
    await nats?.close()
    await f.vhost.delete()
  })
  return f
}

/** A JetStream manager on the machine's NATS, remembering the streams it made so `close()` deletes them. */
export class NatsAdmin {
  readonly streams = new Set<string>()
  #nc: NatsConnection | undefined
  #jsm: JetStreamManager | undefined

  constructor(readonly url: string = NATS_URL) {}

  async open(): Promise<this> {
    this.#nc = await connect({ servers: this.url })
    this.#jsm = await jetstreamManager(this.#nc)
    return this
  }

  get nc(): NatsConnection {
    return this.#nc!
  }

  get jsm(): JetStreamManager {
    return this.#jsm!
  }

  /** A fresh stream name and a subject only it captures. Streams sluice creates are listed with `adopt`. */
  names(prefix: string): { stream: string; subject: string } {
    const stream = uniqueName(prefix).toUpperCase().replace(/[^A-Z0-9_-]/g, '_')
    this.streams.add(stream)
    return { stream, subject: `sluice-test.${stream}` }
  }

  async createStream(stream: string, subject: string): Promise<void> {
    this.streams.add(stream)
    await this.jsm.streams.add({ name: stream, subjects: [subject] })
  }

  /** Bodies and Nats-Msg-Id headers stored in a stream, in order. */
  async read(stream: string): Promise<{ id: string; body: string }[]> {
    const info = await this.jsm.streams.info(stream)
    const out: { id: string; body: string }[] = []
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await this.jsm.streams.getMessage(stream, { seq }).catch(() => null)
      if (m) out.push({ id: m.header?.get('Nats-Msg-Id') ?? '', body: m.string() })
    }
    return out
  }

  /**
   * What a JetStream worker sees: a durable pull consumer (created here) reading and acking the
   * stream until it has `count` messages or `timeoutMs` passed with nothing new.
   */
  async consume(stream: string, count: number, idleMs = 3_000): Promise<{ id: string; body: string }[]> {
    const name = `worker-${randomBytes(4).toString('hex')}`
    await this.jsm.consumers.add(stream, {
      durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
    })
    const consumer = await jetstream(this.nc).consumers.get(stream, name)
    const out: { id: string; body: string }[] = []
    while (out.length < count) {
      const batch = await consumer.fetch({ max_messages: Math.min(1_000, count - out.length), expires: idleMs })
      let got = 0
      for await (const m of batch) {
        out.push({ id: m.headers?.get('Nats-Msg-Id') ?? '', body: m.string() })
        m.ack()
        got++
      }
      if (got === 0) break
    }
    await this.jsm.consumers.delete(stream, name).catch(() => {})
    return out
  }

  async close(): Promise<void> {
    for (const s of this.streams) await this.#jsm?.streams.delete(s).catch(() => {})
    await this.#nc?.close()
  }
}

/** What an amqplib worker sees: consumes (and acks) `queue` until `count` messages or `idleMs` with nothing new. */
export async function amqpConsume(
  model: ChannelModel, queue: string, count: number, idleMs = 3_000,
): Promise<{ id: string; body: string; redelivered: boolean }[]> {
  const ch = await model.createChannel()
  await ch.prefetch(500)
  const out: { id: string; body: string; redelivered: boolean }[] = []
  let last = Date.now()
  const { consumerTag } = await ch.consume(queue, (m) => {
    if (m === null) return
    out.push({ id: String(m.properties.messageId), body: m.content.toString('utf8'), redelivered: m.fields.redelivered })
    ch.ack(m)
    last = Date.now()
  })
  await waitFor(() => out.length >= count || Date.now() - last > idleMs, { timeoutMs: 120_000, message: `${count} messages from ${queue}` })
  await ch.cancel(consumerTag)
  await ch.close()
  return out
}

/** Publishes bodies to a queue (declared durable) as a producer would, confirmed. */
export async function amqpProduce(
  model: ChannelModel, queue: string, bodies: readonly string[], withIds = false,
): Promise<void> {
  const ch = await model.createConfirmChannel()
  await ch.assertQueue(queue, { durable: true })
  for (let i = 0; i < bodies.length; i++) {
    const body = bodies[i]!
    const id = withIds ? (JSON.parse(body) as { id: string }).id : undefined
    if (!ch.sendToQueue(queue, Buffer.from(body), { persistent: true, ...(id ? { messageId: id } : {}) })) await new Promise((r) => ch.once('drain', r))
    if (i % 1_000 === 999) await ch.waitForConfirms()
  }
  await ch.waitForConfirms()
  await ch.close()
}

/** A private nats-server with JetStream on its own port and store, for restart tests. */
export class PrivateNatsServer {
  port = 0
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-nats-'))
  #proc: ChildProcess | undefined

  /** `config`: a nats-server configuration file's text (accounts, users, permissions), if any. */
  constructor(readonly config?: string) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  /** Starts (again, on the same port once it has one). Port 0 the first time: the server picks one. */
  async start(): Promise<this> {
    if (NATS_SERVER === undefined) throw new Error('nats-server is not installed (Debian package "nats-server"; .ci/run installs it)')
    const args = ['-a', '127.0.0.1', '-p', String(this.port === 0 ? -1 : this.port), '-js', '-sd', this.dir]
    if (this.config !== undefined) {
      const file = join(this.dir, 'nats.conf')
      writeFileSync(file, this.config)
      args.push('-c', file)
    }
    const proc = spawn(NATS_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    this.#proc = proc
    let log = ''
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => { log += d })
    await waitFor(() => {
      if (proc.exitCode !== null) throw new Error(`nats-server exited: ${log}`)
      const m = /Listening for client connections on [^:]+:(\d+)/.exec(log)
      return m !== null && /Server is ready/.test(log) && Number(m[1])
    }, { message: 'nats-server to be ready', timeoutMs: 15_000 }).then((port) => { this.port = port })
    return this
  }

  /** SIGKILL: an abrupt broker death (what JetStream stored and acked survives in the store). */
  async stop(): Promise<void> {
    const proc = this.#proc
    if (proc === undefined || proc.exitCode !== null) return
    await new Promise<void>((resolve) => { proc.once('exit', () => resolve()); proc.kill('SIGKILL') })
    await waitFor(async () => !(await portOpen(this.port)), { message: 'the nats port to close' })
  }

  async close(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => resolve(false))
  })
}
