import { createServer, type Server } from 'node:http'
import { Pool } from 'undici'
import { hostPort, SluiceApp } from '../../app.js'
import { formatProblem, loadConfigText } from '../../config/index.js'
import { parseDuration } from '../../util/duration.js'
import { createLogger } from '../../observe/log.js'
import { EXIT } from '../exit-codes.js'
import type { Io } from '../io.js'
import type { Command } from '../command.js'

const REPORT_EVERY_MS = 2000
const CONCURRENCY = 4
const USERS = 5000
/** The scripted ramp: [seconds after start, percent]. The rollout controller will do this by itself later. */
const RAMP: ReadonlyArray<readonly [number, number]> = [[8, 25], [16, 50], [24, 100]]

const DEMO_CONFIG = (oldUrl: string, newUrl: string) => `
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
shutdown: { drainDelay: 0s, timeout: 5s }
log: { level: warn }
routes:
  - name: demo
    old: ${oldUrl}
    new: ${newUrl}
    percent: 10
    sticky: [header:x-user-id]
    exposeBackendHeader: true
`

/** `sluice demo`: two sample backends, sluice in front, synthetic traffic and the observed share. */
export const demoCommand: Command = async (_args, opts, io) => {
  const durationMs = opts.duration ? parseDuration(opts.duration) : undefined
  const backends = await Promise.all([sampleBackend('old'), sampleBackend('new')])
  const loaded = await loadConfigText(DEMO_CONFIG(url(backends[0]!), url(backends[1]!)), '<demo>')
  if (!loaded.ok) { for (const p of loaded.problems) io.err(formatProblem(p)); return EXIT.refused }
  const app = new SluiceApp({ config: loaded.config, configHash: loaded.hash, logger: createLogger({ level: 'warn' }) })
  const { data, admin } = await app.start()
  io.out(`sluice demo: old backend ${url(backends[0]!)}, new backend ${url(backends[1]!)}`)
  io.out(`data plane  http://${hostPort(data)}   (try: curl -i -H 'x-user-id: alice' http://${hostPort(data)}/)`)
  io.out(`admin plane http://${hostPort(admin)}   (dashboard /, metrics /metrics, API /api/routes)`)
  io.out(`ramp: 10% now, then ${RAMP.map(([s, p]) => `${p}% at ${s}s`).join(', ')}; Ctrl-C stops\n`)
  const traffic = new Traffic(`http://${hostPort(data)}`)
  const stop = await runUntilStopped(app, traffic, io, durationMs)
  await stop()
  await Promise.all(backends.map((b) => new Promise((resolve) => b.close(resolve))))
  io.out('demo stopped')
  return EXIT.ok
}

function url(server: Server): string {
  const a = server.address() as { port: number }
  return `http://127.0.0.1:${a.port}`
}

function sampleBackend(side: 'old' | 'new'): Promise<Server> {
  const body = JSON.stringify({ backend: side })
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
  server.keepAliveTimeout = 10_000
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** Synthetic users: CONCURRENCY loops sending requests with random user ids, counting sides. */
class Traffic {
  readonly counts = { old: 0, new: 0, error: 0 }
  #pool: Pool
  #running = true
  #loops: Promise<void>[] = []

  constructor(origin: string) {
    this.#pool = new Pool(origin, { connections: CONCURRENCY })
    for (let i = 0; i < CONCURRENCY; i++) this.#loops.push(this.#loop())
  }

  take(): { old: number; new: number; error: number } {
    const c = { ...this.counts }
    this.counts.old = 0
    this.counts.new = 0
    this.counts.error = 0
    return c
  }

  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
    await this.#pool.close()
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      try {
        const user = `user-${Math.floor(Math.random() * USERS)}`
        const res = await this.#pool.request({ path: '/', method: 'GET', headers: { 'x-user-id': user } })
        await res.body.dump()
        const side = res.headers['x-sluice-backend']
        if (side === 'new' || side === 'old') this.counts[side]++
        else this.counts.error++
      } catch {
        this.counts.error++
      }
      await new Promise((r) => setTimeout(r, 5))
    }
  }
}

async function runUntilStopped(app: SluiceApp, traffic: Traffic, io: Io, durationMs: number | undefined): Promise<() => Promise<void>> {
  const started = Date.now()
  const ramp = RAMP.map(([s, p]) => setTimeout(() => {
    void app.commands.setPercent({ kind: 'route', name: 'demo' }, p * 100, { actor: 'admin', reason: 'demo ramp' })
      .then(() => io.out(`-- percent set to ${p}% (admin, demo ramp)`))
  }, s * 1000))
  const report = setInterval(() => io.out(shareLine(app, traffic, started)), REPORT_EVERY_MS)
  await new Promise<void>((resolve) => {
    const done = () => { process.off('SIGINT', done); process.off('SIGTERM', done); resolve() }
    process.once('SIGINT', done)
    process.once('SIGTERM', done)
    if (durationMs !== undefined) setTimeout(done, durationMs).unref()
  })
  return async () => {
    ramp.forEach(clearTimeout)
    clearInterval(report)
    await traffic.stop()
    await app.shutdown('demo stopped')
  }
}

function shareLine(app: SluiceApp, traffic: Traffic, started: number): string {
  const c = traffic.take()
  const total = c.old + c.new
  const pct = (n: number) => (total === 0 ? '  -  ' : `${((100 * n) / total).toFixed(1).padStart(5)}%`)
  const live = app.store.get({ kind: 'route', name: 'demo' })?.percentBp ?? 0
  const secs = Math.round((Date.now() - started) / 1000)
  return `[${String(secs).padStart(3)}s] percent ${String(live / 100).padStart(3)}%  observed: new ${pct(c.new)}  old ${pct(c.old)}  (${total} requests${c.error ? `, ${c.error} errors` : ''})`
}
