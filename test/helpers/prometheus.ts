import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { request } from 'undici'
import { freePort } from '../../src/util/free-port.js'
import { findExecutable, killHard, missingReason } from './tools.js'
import { waitFor } from './wait-for.js'

/** Where the Prometheus server is (Debian's `prometheus` package, which .ci/run installs for promtool). */
export const PROMETHEUS = findExecutable('prometheus', { envVar: 'PROMETHEUS_BIN', wellKnown: ['/usr/bin/prometheus', '/usr/local/bin/prometheus'] })
export const NO_PROMETHEUS_REASON = missingReason('prometheus', 'prometheus')

const READY_TIMEOUT_MS = 30_000

/**
 * A private Prometheus server for one test file: its own port, data directory and config,
 * scraping `targets` (host:port, path /metrics) every second. `stop()` then `restart()` (same port,
 * same data) simulate an outage.
 *
 * Prometheus cannot listen on port 0 and report it, so the port is probed (free-port.ts) just
 * before it starts, retrying on a clash, as for redis-server.
 */
export class PrometheusServer {
  port = 0
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-prometheus-'))
  #proc: ChildProcess | undefined
  #output = ''

  constructor(private readonly targets: readonly string[]) {
    writeFileSync(join(this.dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: app',
      `    static_configs: [{ targets: [${targets.map((t) => `'${t}'`).join(', ')}] }]`,
      '',
    ].join('\n'))
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Start, and wait until it is ready and has scraped every target once. */
  async start(): Promise<this> {
    for (let attempt = 0; ; attempt++) {
      this.port = await freePort()
      try {
        await this.#spawnReady()
        break
      } catch (err) {
        await this.stop()
        if (attempt >= 4) throw err
      }
    }
    await this.waitScraped()
    return this
  }

  /** Start again on the same port and data directory after stop() (the outage is over). */
  async restart(): Promise<void> {
    await waitFor(async () => {
      try {
        await this.#spawnReady()
        return true
      } catch {
        await this.stop()
        return false
      }
    }, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, message: `prometheus to start again on port ${this.port}` })
    await this.waitScraped()
  }

  /** Every target is up in an instant query (so a query over their metrics has data). */
  async waitScraped(): Promise<void> {
    await waitFor(async () => {
      const values = await this.query('up{job="app"}')
      return values.length === this.targets.length && values.every((v) => v === 1)
    }, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200, message: `prometheus to scrape ${this.targets.join(', ')}` })
  }

  /** An instant query's values (vector) for test assertions. */
  async query(promql: string): Promise<number[]> {
    const res = await request(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`)
    const body = (await res.body.json()) as { data?: { result?: Array<{ value: [number, string] }> } }
    return (body.data?.result ?? []).map((r) => Number(r.value[1]))
  }

  /** Kill it (an outage: no clean shutdown). */
  async stop(): Promise<void> {
    const p = this.#proc
    this.#proc = undefined
    await killHard(p)
  }

  async close(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }

  async #spawnReady(): Promise<void> {
    if (!PROMETHEUS) throw new Error(NO_PROMETHEUS_REASON)
    this.#output = ''
    const proc = spawn(PROMETHEUS, [
      `--config.file=${join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#proc = proc
    const keep = (d: Buffer) => { this.#output = (this.#output + d.toString()).slice(-4000) }
    proc.stdout!.on('data', keep)
    proc.stderr!.on('data', keep)
    const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`prometheus exited with ${code}: ${this.#output}`))))
    exited.catch(() => undefined)
    const ready = waitFor(async () => {
      const res = await request(`${this.url}/-/ready`)
      await res.body.dump()
      return res.statusCode === 200
    }, { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100, message: `prometheus to be ready on port ${this.port}` })
    await Promise.race([ready, exited])
  }
}
