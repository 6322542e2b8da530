import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { hostPort } from '../../app/log.js'
import { SluiceApp } from '../../app/index.js'
import { formatProblem, loadConfigText } from '../../config/index.js'
import { createLogger } from '../../observe/log.js'
import { freePort } from '../../util/free-port.js'
import { randomId } from '../../util/random.js'
import { parseDuration } from '../../util/duration.js'
import type { CliOptions } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { Io } from '../io.js'
import { sampleBackend, untilStopped, type SampleBackend } from './demo-parts.js'
import { sleep } from '../../util/sleep.js'

const REPORT_EVERY_MS = 2000
const AGREEMENT_SAMPLE = 200
/** When the demo changes the percent through the last replica, to show the others follow. */
const LIVE_CHANGE_AT_MS = 9000
const REF = { kind: 'route', name: 'demo' } as const

const CONFIG = (redis: string, prefix: string, oldUrl: string, newUrl: string) => `
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0 }
state: { store: redis, redis: ${redis}, keyPrefix: ${prefix}, leaseTtl: 3s }
shutdown: { drainDelay: 0s, timeout: 3s }
log: { level: error }
routes:
  - name: demo
    old: ${oldUrl}
    new: ${newUrl}
    sticky: [header:x-user-id]
    exposeBackendHeader: true
    rollout:
      steps: [5, 10, 25]
      interval: 3s
      analysis: { window: 1500ms, minRequests: 10, maxErrorRate: 0.05 }
`

/**
 * `sluice demo --replicas N [--redis URL]`: N sluice replicas in this process sharing one Redis (a
 * private redis-server on a free port unless --redis is given), traffic spread over all of them.
 * Every report shows each replica's percent and leader flag and checks that a sample of users gets
 * the same side everywhere; midway a percent change through the last replica reaches the others.
 */
export async function replicasDemo(_args: readonly string[], opts: CliOptions, io: Io): Promise<number> {
  const n = Number(opts.replicas)
  if (!Number.isInteger(n) || n < 1 || n > 9) { io.err('sluice demo: --replicas must be a number from 1 to 9'); return EXIT.refused }
  const redis = opts.redis ? { url: opts.redis, stop: async () => {} } : await privateRedis(io)
  if (!redis) return EXIT.refused
  const [oldB, newB] = await Promise.all([sampleBackend('old'), sampleBackend('new')])
  const loaded = await loadConfigText(CONFIG(redis.url, `demo-${randomId().slice(0, 8)}`, oldB.url, newB.url), '<demo>')
  if (!loaded.ok) { for (const p of loaded.problems) io.err(formatProblem(p)); return EXIT.refused }
  const apps: SluiceApp[] = []
  for (let i = 0; i < n; i++) {
    const app = new SluiceApp({ config: loaded.config, configHash: loaded.hash, logger: createLogger({ level: 'error' }), tickMs: 250 })
    await app.start()
    apps.push(app)
    io.out(`replica ${i + 1}: data http://${hostPort(app.addresses.data)}  admin http://${hostPort(app.addresses.admin)}`)
  }
  io.out(`${n} replicas share ${redis.url}; one holds the controller lease and ramps 5 → 10 → 25 % for all of them.\n`)
  const pools = apps.map((a) => new Pool(`http://${hostPort(a.addresses.data)}`, { connections: 2 }))
  const timers = [
    setInterval(() => { void report(apps, pools, io) }, REPORT_EVERY_MS),
    setTimeout(() => { void liveChange(apps, io) }, LIVE_CHANGE_AT_MS),
  ]
  const traffic = spreadTraffic(pools)
  await untilStopped(opts.duration ? parseDuration(opts.duration) : undefined)
  timers.forEach((t) => clearTimeout(t))
  await traffic.stop()
  await Promise.all(pools.map((p) => p.close()))
  for (const app of apps) await app.shutdown('demo stopped')
  await Promise.all([oldB, newB].map((b: SampleBackend) => new Promise((r) => b.server.close(r))))
  await redis.stop()
  io.out('demo stopped')
  return EXIT.ok
}

async function report(apps: SluiceApp[], pools: Pool[], io: Io): Promise<void> {
  const cells = await Promise.all(apps.map(async (a, i) => {
    const leader = (await a.recorder.render()).includes('\nsluice_leader 1')
    const live = a.store.get(REF)
    return `replica ${i + 1}${leader ? ' (leader)' : ''}: ${(live?.percentBp ?? 0) / 100}% ${live?.state ?? '-'}`
  }))
  io.out(`${cells.join(' | ')} | ${await agreement(pools)}`)
}

/** Ask every replica for the same users' sides: sticky and shared state mean they must agree. */
async function agreement(pools: Pool[]): Promise<string> {
  let same = 0
  for (let u = 0; u < AGREEMENT_SAMPLE; u++) {
    const sides = await Promise.all(pools.map((p) => sideOf(p, `check-${u}`)))
    if (sides.every((s) => s === sides[0])) same++
  }
  return `same side on every replica for ${same}/${AGREEMENT_SAMPLE} users`
}

async function liveChange(apps: SluiceApp[], io: Io): Promise<void> {
  const last = apps[apps.length - 1]!
  await last.commands.setPercent(REF, 5000, { actor: 'admin', reason: 'demo: set through the last replica' }).catch(() => undefined)
  io.out(`-- set-percent 50 through replica ${apps.length} (state manual): the others follow within milliseconds`)
}

async function sideOf(pool: Pool, user: string): Promise<string> {
  try {
    const res = await pool.request({ path: '/', method: 'GET', headers: { 'x-user-id': user } })
    await res.body.dump()
    return String(res.headers['x-sluice-backend'])
  } catch {
    return 'error'
  }
}

function spreadTraffic(pools: Pool[]): { stop(): Promise<void> } {
  let running = true
  let n = 0
  const loops = pools.map(async (p) => {
    while (running) {
      await sideOf(p, `user-${n++ % 5000}`)
      await sleep(5)
    }
  })
  return { stop: async () => { running = false; await Promise.all(loops) } }
}

/** A redis-server of the demo's own: a free port, no persistence, a temporary directory. */
async function privateRedis(io: Io): Promise<{ url: string; stop(): Promise<void> } | undefined> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    io.err('sluice demo --replicas needs redis-server on PATH (apt-get install redis-server), or --redis redis://HOST:PORT')
    return undefined
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-redis-'))
  const proc: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('Ready to accept')) resolve() })
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)))
  })
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise<void>((r) => { proc.once('exit', () => r()); proc.kill('SIGTERM') })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
