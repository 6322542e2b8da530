// The product's wall-clock promises, measured: the tests check these things happen (with margins a
// busy 2-core machine can hold), this script says how fast they happen.
//
//   - propagation: a percent change through one replica is served by the other replicas
//     (promise: within 500 ms), three `sluice start` processes sharing a private redis-server;
//   - lease take-over: the leader is SIGKILLed, another replica leads
//     (promise: within the lease TTL plus one renewal period);
//   - WebSocket teardown through `sluice start`: clients vanish with a TCP reset while the backend
//     stays silent, the backend sees every connection end; the backend drops a tunnel, the client
//     sees it close (promise: within a second).
//
// Needs dist/ (npm run build) and redis-server. Knobs: ROUNDS (default 10), CLIENTS (default 20).
//   node bench/timings.mjs
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { request } from 'undici'
import { WebSocket, WebSocketServer } from 'ws'

const ROOT = resolve(fileURLToPath(import.meta.url), '../..')
const CLI = join(ROOT, 'dist/main.js')
const ROUNDS = Number(process.env.ROUNDS ?? 10)
const CLIENTS = Number(process.env.CLIENTS ?? 20)
const LEASE_TTL_MS = 2_000
const PROMISES = { propagationMs: 500, takeoverMs: Math.round(LEASE_TTL_MS * 4 / 3), teardownMs: 1_000 }

const cleanups = []
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const now = () => performance.now()

async function until(cond, what, timeoutMs = 15_000, everyMs = 2) {
  const deadline = now() + timeoutMs
  while (!(await cond())) {
    if (now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(everyMs)
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)) })
    s.on('error', rej)
  })
}

async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-timings-redis-'))
  const port = await freePort()
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  cleanups.push(() => { proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }) })
  let out = ''
  await new Promise((res, rej) => {
    setTimeout(() => rej(new Error(`redis-server did not start: ${out}`)), 10_000).unref()
    proc.stdout.on('data', (d) => { out += d; if (out.includes('Ready to accept connections')) res() })
    proc.once('exit', (code) => rej(new Error(`redis-server exited with ${code}: ${out}`)))
  })
  return `redis://127.0.0.1:${port}`
}

/** A `sluice start` child; resolves once it logged "sluice started", with its addresses. */
async function startSluice(yaml) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-timings-'))
  writeFileSync(join(dir, 'sluice.yaml'), yaml)
  const child = spawn(process.execPath, [CLI, 'start', '--config', join(dir, 'sluice.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] })
  const stop = () => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }) }
  cleanups.push(stop)
  const exited = new Promise((r) => child.once('exit', r))
  const started = await new Promise((res, rej) => {
    setTimeout(() => rej(new Error('sluice did not log "sluice started" within 20 s')), 20_000).unref()
    createInterface({ input: child.stdout }).on('line', (line) => {
      try { const l = JSON.parse(line); if (l.msg === 'sluice started') res(l) } catch { /* not JSON */ }
    })
    child.once('exit', (code) => rej(new Error(`sluice exited with ${code}`)))
  })
  return { data: started.data, admin: started.admin, child, exited, stop }
}

function config(routes, extra = '') {
  return `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nshutdown: { drainDelay: 0s, timeout: 2s }\nlog: { level: info }\n${extra}\nroutes:\n${routes}`
}

async function sideOf(data, user) {
  const res = await request(`${data}/`, { headers: { 'x-user-id': user } })
  await res.body.dump()
  return String(res.headers['x-sluice-backend'])
}

async function isLeader(admin) {
  const text = await (await fetch(`${admin}/metrics`)).text()
  return text.includes('\nsluice_leader 1')
}

function summary(name, values, promiseMs) {
  const sorted = [...values].sort((a, b) => a - b)
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]
  const over = values.filter((v) => v > promiseMs).length
  console.log(`${name.padEnd(38)} n=${String(values.length).padStart(3)}  median ${q(0.5).toFixed(0).padStart(5)} ms  p90 ${q(0.9).toFixed(0).padStart(5)} ms  max ${sorted.at(-1).toFixed(0).padStart(5)} ms  promise ${promiseMs} ms: ${over === 0 ? 'held' : `missed ${over}×`}`)
}

/** Origins for the HTTP routes: `{"backend":SIDE}`. */
async function sideBackends() {
  const start = (side) => new Promise((res) => {
    const s = http.createServer((req, r) => { req.resume(); r.end(JSON.stringify({ backend: side })) }).listen(0, '127.0.0.1', () => res(s))
  })
  const servers = [await start('old'), await start('new')]
  cleanups.push(() => servers.forEach((s) => { s.closeAllConnections(); s.close() }))
  return servers.map((s) => `http://127.0.0.1:${s.address().port}`)
}

async function fleet(redisUrl, prefix, origins) {
  const route = `  - name: app\n    old: ${origins[0]}\n    new: ${origins[1]}\n    percent: 0\n    sticky: [header:x-user-id]\n    exposeBackendHeader: true\n`
  const extra = `state: { store: redis, redis: ${redisUrl}, keyPrefix: ${prefix}, leaseTtl: ${LEASE_TTL_MS / 1000}s }`
  const replicas = []
  for (let i = 0; i < 3; i++) replicas.push(await startSluice(config(route, extra)))
  return { replicas, yaml: config(route, extra) }
}

async function propagation(redisUrl, origins) {
  const { replicas } = await fleet(redisUrl, 'timings-propagation', origins)
  const times = []
  for (let round = 0; round < ROUNDS; round++) {
    const percent = round % 2 === 0 ? 100 : 0
    const want = percent === 100 ? 'new' : 'old'
    const t0 = now()
    const put = await fetch(`${replicas[0].admin}/api/routes/app/percent`, { method: 'PUT', body: JSON.stringify({ percent }), headers: { 'content-type': 'application/json' } })
    if (put.status !== 200) throw new Error(`PUT percent answered ${put.status}`)
    const seen = await Promise.all(replicas.slice(1).map(async (r) => { await until(async () => (await sideOf(r.data, 'probe')) === want, 'propagation'); return now() - t0 }))
    times.push(Math.max(...seen))
    await sleep(100)
  }
  replicas.forEach((r) => r.stop())
  summary('percent change → other replicas', times, PROMISES.propagationMs)
}

async function takeover(redisUrl, origins) {
  const { replicas, yaml } = await fleet(redisUrl, 'timings-lease', origins)
  const times = []
  const rounds = Math.max(1, Math.ceil(ROUNDS / 2))
  for (let round = 0; round < rounds; round++) {
    let leader
    await until(async () => { const flags = await Promise.all(replicas.map((r) => isLeader(r.admin))); leader = replicas[flags.indexOf(true)]; return leader !== undefined }, 'a leader', 15_000, 50)
    leader.child.kill('SIGKILL')
    await leader.exited
    const t0 = now()
    const rest = replicas.filter((r) => r !== leader)
    await until(async () => (await Promise.all(rest.map((r) => isLeader(r.admin)))).includes(true), 'a new leader', 15_000, 10)
    times.push(now() - t0)
    replicas.splice(replicas.indexOf(leader), 1, await startSluice(yaml))
  }
  replicas.forEach((r) => r.stop())
  summary('lease take-over after SIGKILL', times, PROMISES.takeoverMs)
}

/** A WebSocket backend that never speaks, counting connections that ended; and one we can drop. */
async function wsBackend() {
  const server = http.createServer()
  const wss = new WebSocketServer({ server })
  const state = { ended: 0, sockets: [] }
  server.on('connection', (s) => { let done = false; const end = () => { if (!done) { done = true; state.ended++ } }; s.on('end', end); s.on('close', end) })
  wss.on('connection', (ws) => state.sockets.push(ws))
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(() => { for (const ws of wss.clients) ws.terminate(); server.closeAllConnections(); server.close() })
  return { origin: `http://127.0.0.1:${server.address().port}`, state }
}

async function openClient(url) {
  const ws = new WebSocket(url)
  ws.on('error', () => {})
  await new Promise((res, rej) => { ws.once('open', res); ws.once('unexpected-response', () => rej(new Error('upgrade refused'))) })
  return ws
}

async function teardown() {
  const backend = await wsBackend()
  const sluice = await startSluice(config(`  - name: ws\n    old: ${backend.origin}\n    new: ${backend.origin}\n`))
  const url = sluice.data.replace('http:', 'ws:')
  const resets = []
  const drops = []
  for (let round = 0; round < ROUNDS; round++) {
    const ended = backend.state.ended
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openClient(url)))
    const t0 = now()
    for (const ws of clients) ws._socket.resetAndDestroy()
    await until(() => backend.state.ended >= ended + CLIENTS, 'the backend to see every client go')
    resets.push(now() - t0)

    backend.state.sockets = []
    const ws = await openClient(url)
    await until(() => backend.state.sockets.length === 1, 'the tunnel')
    const closed = new Promise((r) => ws.once('close', r))
    const t1 = now()
    backend.state.sockets[0].terminate()
    await closed
    drops.push(now() - t1)
  }
  sluice.stop()
  summary(`${CLIENTS} client resets → backend sees all`, resets, PROMISES.teardownMs)
  summary('backend drops → client closed', drops, PROMISES.teardownMs)
}

async function main() {
  console.log(`sluice timings: ${ROUNDS} rounds, node ${process.version}, load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  const redisUrl = await startRedis()
  const origins = await sideBackends()
  await propagation(redisUrl, origins)
  await takeover(redisUrl, origins)
  await teardown()
}

process.on('SIGINT', () => { for (const c of cleanups) c(); process.exit(130) })
main().then(() => { for (const c of cleanups) c(); process.exit(0) }, (err) => {
  console.error(err)
  for (const c of cleanups) c()
  process.exit(1)
})
