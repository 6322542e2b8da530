import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { freePort } from '../../src/util/free-port.js'
import { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findExecutable, killHard, missingReason } from './tools.js'

/** Where redis-server is, or undefined (tests then skip with a reason; CI installs it). */
export const REDIS_SERVER: string | undefined = findExecutable('redis-server', { envVar: 'REDIS_SERVER_BIN', wellKnown: ['/usr/bin/redis-server', '/usr/local/bin/redis-server'] })

const RESTART_TIMEOUT_MS = 10_000

/** redis-server's message when its port is taken ("Address already in use"). */
function isPortClash(err: unknown): boolean {
  return err instanceof Error && /already in use/i.test(err.message)
}

export const NO_REDIS_REASON = missingReason('redis-server', 'redis-server')

/**
 * A private redis-server for one test file: its own port and directory, never the machine's Redis.
 * `stop()` and `start()` again (same port) let tests simulate an outage.
 *
 * redis-server cannot listen on port 0, so the port is found by binding a socket to port 0 and
 * closing it just before redis starts, retrying on a clash: the one place where a test may reuse
 * a probed port, because the peer is not ours to start otherwise.
 */
export class RedisServer {
  port = 0
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'))
  #proc: ChildProcess | undefined
  readonly #persist: boolean

  /**
   * `persist: true` keeps the data across stop()/restart(): an append-only file fsynced on every
   * write (`--appendonly yes --appendfsync always`), so every write Redis confirmed survives the
   * SIGKILL of stop(). Default off: nothing persisted, fastest.
   */
  constructor(opts: { persist?: boolean } = {}) {
    this.#persist = opts.persist ?? false
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  async start(): Promise<this> {
    for (let attempt = 0; ; attempt++) {
      if (this.port === 0 || attempt > 0) this.port = await freePort()
      try {
        await this.#spawn()
        return this
      } catch (err) {
        if (attempt >= 4) throw err
      }
    }
  }

  /**
   * Start again on the same port after stop() (the outage is over). The clients hold this URL, so
   * the port cannot change: while it is taken (by a process that grabbed it during the outage, or
   * a socket the kernel has not released yet) this retries until it binds, for up to
   * `timeoutMs`, then fails saying so.
   */
  async restart(timeoutMs = RESTART_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      try {
        await this.#spawn()
        return
      } catch (err) {
        if (!isPortClash(err) || Date.now() + wait > deadline) throw err
        await new Promise((r) => setTimeout(r, wait))
      }
    }
  }

  async stop(): Promise<void> {
    const p = this.#proc
    this.#proc = undefined
    await killHard(p)
  }

  async close(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }

  #spawn(): Promise<void> {
    if (!REDIS_SERVER) throw new Error(NO_REDIS_REASON)
    const proc = spawn(REDIS_SERVER, [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '',
      ...(this.#persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      '--dir', this.dir, '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'notice',
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#proc = proc
    return new Promise((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`redis-server did not start on ${this.port}: ${out}`)) }, 5000)
      const check = (d: Buffer) => {
        out += d.toString()
        if (out.includes('Ready to accept connections')) { clearTimeout(timer); resolve() }
      }
      proc.stdout!.on('data', check)
      proc.stderr!.on('data', check)
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited with ${code}: ${out}`)) })
    })
  }
}


/**
 * For one test file: start `server` (a private redis-server) and a client to it before all tests,
 * close both after. `server.url` is valid from the first test on.
 */
export function useRedis(
  server: RedisServer = new RedisServer(),
): { readonly server: RedisServer; readonly client: Redis } {
  const f = { server } as { server: RedisServer; client: Redis }
  beforeAll(async () => {
    await server.start()
    f.client = new Redis(server.url)
  })
  afterAll(async () => {
    f.client.disconnect()
    await server.close()
  })
  return f
}
