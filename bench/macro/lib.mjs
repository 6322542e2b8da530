// What the macro benchmarks share: child processes (pinned with taskset when asked), readiness
// polling, /proc sampling, the sluice config they run, and clean-up on exit and Ctrl-C.
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

export const HERE = dirname(fileURLToPath(import.meta.url))
export const BENCH = resolve(HERE, '..')
export const ROOT = resolve(BENCH, '..')
export const HOST = '127.0.0.1'

export const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0
export const NPROC = os.availableParallelism?.() ?? os.cpus().length
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100

/** A non-negative number from the environment, or `def`. */
export function envNumber(name, def) {
  const v = process.env[name]
  if (v === undefined || v === '') return def
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${v}'`)
  return n
}

/** PIN from the environment; on by default when taskset exists and there are at least 2 cores. */
export function pinFromEnv() {
  const v = process.env.PIN
  const pin = v === undefined || v === '' ? hasTaskset && NPROC >= 2 : !['0', 'false', 'no', 'off'].includes(v.toLowerCase())
  if (pin && !hasTaskset) throw new Error('PIN is on but taskset is not installed')
  return pin
}

/**
 * Child processes of one benchmark run. Every child is killed when the run exits, fails or is
 * interrupted, and `tmpDir` (when set) is removed.
 */
export function createProcesses({ pin }) {
  const children = new Set()
  const procs = { tmpDir: undefined, interrupted: false, start, jsonLine, stop, killAll }

  function start(name, cmd, args, { cpu, env, cwd } = {}) {
    const [file, argv] = pin && cpu !== undefined ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]
    // taskset execs the command, so child.pid is the command's own pid (what /proc sampling needs).
    const child = spawn(file, argv, { cwd: cwd ?? BENCH, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    child.name = name
    child.log = ''
    const keep = (d) => { child.log = (child.log + d).slice(-8000) }
    child.stdout.setEncoding('utf8')
    child.stderr.setEncoding('utf8')
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.exited = new Promise((res) => child.on('exit', (code, signal) => { children.delete(child); res({ code, signal }) }))
    child.on('error', (err) => { keep(`spawn error: ${err.message}\n`) })
    children.add(child)
    return child
  }

  /** Resolves with the first stdout line that parses as JSON and satisfies `pred`. */
  function jsonLine(child, pred = () => true, timeoutMs = 20_000) {
    return new Promise((resolve, reject) => {
      let buf = ''
      const timer = setTimeout(() => fail(new Error(`${child.name}: no expected output within ${timeoutMs} ms`)), timeoutMs)
      const onData = (d) => {
        buf += d
        let nl
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          let o
          try { o = JSON.parse(line) } catch { continue }
          if (pred(o)) { done(); resolve(o); return }
        }
      }
      const onExit = ({ code, signal }) => fail(new Error(`${child.name} exited (${code ?? signal}) before it was ready:\n${child.log}`))
      const done = () => { clearTimeout(timer); child.stdout.off('data', onData) }
      const fail = (e) => { done(); reject(e) }
      child.stdout.on('data', onData)
      child.exited.then(onExit)
    })
  }

  async function stop(child, graceMs = 5000) {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await child.exited
    clearTimeout(t)
  }

  function killAll() {
    for (const c of children) { try { c.kill('SIGKILL') } catch { /* gone */ } }
    if (procs.tmpDir) rmSync(procs.tmpDir, { recursive: true, force: true })
  }

  process.on('exit', killAll)
  process.on('SIGINT', async () => {
    if (procs.interrupted) return
    procs.interrupted = true
    process.stderr.write('\ninterrupted: stopping children\n')
    await Promise.race([Promise.all([...children].map((c) => stop(c, 2000))), new Promise((r) => setTimeout(r, 3000))])
    killAll()
    process.exit(130)
  })
  process.on('SIGTERM', () => { killAll(); process.exit(143) })
  return procs
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * For a baseline proxy run as a child: keep-alive as sluice's, listen on PORT (0 = any) and HOST,
 * print {"port":N} once listening, and on SIGTERM/SIGINT close every connection and exit.
 */
export function serveBaseline(server) {
  server.keepAliveTimeout = 65_000
  server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? HOST, () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
  })
  const stop = () => { server.closeAllConnections?.(); server.close(); setTimeout(() => process.exit(0), 200).unref() }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

/**
 * A SluiceApp in this process from a config file (reloaded from it, as `sluice start` does), started
 * with a silent logger and `appOptions` (e.g. seriesResolutionMs) added to the SluiceApp options; the
 * caller stops it with `app.shutdown(...)`. Needs dist/ (npm run build).
 */
export async function startAppFromFile(configPath, appOptions = {}) {
  const [{ SluiceApp }, { loadConfigFile }, { createLogger }] = await Promise.all([
    import('../../dist/app/index.js'), import('../../dist/config/index.js'), import('../../dist/observe/log.js'),
  ])
  const loaded = await loadConfigFile(configPath)
  if (!loaded.ok) throw new Error('the bench config did not load')
  const app = new SluiceApp({
    config: loaded.config, configHash: loaded.hash, configSources: loaded.sources, configPath,
    logger: createLogger({ level: 'silent' }), ...appOptions,
  })
  await app.start()
  return app
}

/** The longest event-loop block (ms) while `work` runs, from a 1 ms-resolution delay histogram. */
export async function maxBlockDuring(work) {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  // The histogram records nothing until its timer has fired once: a block right at the start of
  // `work` would go unseen (a 100 ms block measured 1.2 ms).
  await new Promise((r) => setTimeout(r, 10))
  const started = performance.now()
  const result = await work()
  const elapsed = performance.now() - started
  // A block that ends with the work is only recorded when the histogram's timer fires after it:
  // let it fire before disabling, or the last (often the longest) block goes unseen.
  await new Promise((r) => setTimeout(r, 20))
  h.disable()
  return { blockMs: h.max / 1e6, elapsedMs: elapsed, result }
}

/** A free port: bind 0, read, close (fine for a bench, racy in tests). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, HOST, () => { const { port } = s.address(); s.close(() => resolve(port)) })
  })
}

export function request(method, url, timeoutMs = 2000, host = undefined) {
  return new Promise((resolve, reject) => {
    const headers = { 'x-user-id': 'probe', ...(host ? { host } : {}) }
    const req = http.request(url, { method, agent: false, timeout: timeoutMs, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end()
  })
}

/** Poll until `url` answers 200 (the wait-until-ready step). */
export async function waitReady(url, child, timeoutMs = 20_000, host = undefined) {
  const until = Date.now() + timeoutMs
  let last
  while (Date.now() < until) {
    if (child && child.exitCode !== null) throw new Error(`${child.name} exited (${child.exitCode}):\n${child.log}`)
    try {
      const r = await request('GET', url, 1000, host)
      if (r.status === 200) return r
      last = `HTTP ${r.status} ${r.body.slice(0, 200)}`
    } catch (e) { last = e.message }
    await sleep(50)
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (last: ${last})${child ? `\n${child.log}` : ''}`)
}

/** utime + stime of a process, in µs; with `children`, plus those of its exited, waited-for children (wrk). */
export function cpuUs(pid, children = false) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)
  return (ticks * 1e6) / CLK_TCK
}

export function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch { return undefined }
}

export const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const m = v.length >> 1
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2
}

export function loadavg() { return os.loadavg().map((x) => Number(x.toFixed(2))) }

/**
 * The `rollout` block of the sluice-rollout contender: the ramp starts at PERCENT and holds there
 * (a day-long interval) while every analysis check judges a 1 s window, so the run measures the
 * cost of the analysis on the request path and nothing else changes.
 */
const ROLLOUT_BLOCK = (percent) => [
  `    rollout: { steps: [${percent}, 100], interval: 24h,`,
  '      analysis: { window: 1s, minRequests: 100, maxErrorRate: 0.01, maxP99Ms: 500, maxErrorRateVsOld: 2, maxP99VsOld: 2 } }',
]

/**
 * The `shadow` block of the sluice-shadow contender: every request old answers is also sent to new
 * and compared (the bench origins' bodies differ only in `backend`, which is ignored: they match).
 */
const SHADOW_BLOCK = [
  '    shadow: { percent: 100, methods: [GET], compare: { headers: [content-type], ignoreJson: [$.backend] } }',
]

/**
 * The route of the `routes` knob (ROUTES): `count` host routes `svcI.example.com` + `/apiI`, and the
 * request that matches the last of them (the slow case of first-match-wins).
 */
export function hostRoutes(count) {
  const last = count - 1
  return { count, host: `svc${last}.example.com`, path: `/api${last}/x`, hostOf: (i) => `svc${i}.example.com`, prefixOf: (i) => `/api${i}` }
}

/**
 * Starts sluice from `root`/dist (the repository's by default; the sluice-baseline contender passes
 * the BASELINE checkout) on one route (PERCENT to new, sticky on x-user-id, metrics on, log level
 * warn; with `rollout`, a held rollout with every analysis check on) and waits until its admin plane
 * and data plane both answer.
 */
export async function startSluice(procs, {
  origins, file, percent, nodeFlags = [], rollout = false, shadow = false, tls, routes = undefined,
  root = ROOT, name = 'sluice',
}) {
  const [port, admin] = [await freePort(), await freePort()]
  // https origins (the sluice-https contender): checked against the bench CA under the name localhost.
  const side = (url) => (tls ? `{ url: "${url}", tls: { ca: "${tls.caFile}", servername: ${tls.servername} } }` : url)
  const route = (name, match) => [
    `  - name: ${name}`,
    ...(match ? [`    match: { host: ${match.host}, pathPrefix: ${match.pathPrefix} }`] : []),
    `    old: ${side(origins.old)}`,
    `    new: ${side(origins.new)}`,
    `    percent: ${percent}`,
    '    sticky: [header:x-user-id]',
    ...(rollout ? ROLLOUT_BLOCK(percent) : []),
    ...(shadow ? SHADOW_BLOCK : []),
  ]
  const list = routes === undefined
    ? route('bench')
    : Array.from({ length: routes.count }, (_, i) => route(i === routes.count - 1 ? 'bench' : `svc${i}`, { host: routes.hostOf(i), pathPrefix: routes.prefixOf(i) })).flat()
  writeFileSync(file, [
    `listen: ${HOST}:${port}`,
    `admin: { listen: ${HOST}:${admin} }`,
    'shutdown: { drainDelay: 0s, timeout: 2s }',
    'log: { level: warn }',
    'routes:',
    ...list,
    '',
  ].join('\n'))
  const child = procs.start(name, process.execPath, [...nodeFlags, join(root, 'dist/main.js'), 'start', '--config', file], { cpu: 0, cwd: root })
  await waitReady(`http://${HOST}:${admin}/readyz`, child, 60_000)
  const url = `http://${HOST}:${port}${routes?.path ?? '/'}`
  await waitReady(url, child, 20_000, routes?.host)
  return { child, url, admin: `http://${HOST}:${admin}` }
}

/**
 * The bench origins (macro/backend.mjs) on CPU 1: {child, origins: {old, new}, stats}; with `tls`
 * (from makeTlsFiles) also `tlsOrigins: {old, new}`, the same origins over HTTPS.
 */
export async function startBackend(procs, tls) {
  const env = tls ? { TLS_CERT: tls.certFile, TLS_KEY: tls.keyFile } : {}
  const child = procs.start('backend', process.execPath, [join(HERE, 'backend.mjs')], { cpu: 1, env })
  const ports = await procs.jsonLine(child, (o) => typeof o.old === 'number')
  return {
    child,
    origins: { old: `http://${HOST}:${ports.old}`, new: `http://${HOST}:${ports.new}` },
    tlsOrigins: tls ? { old: `https://${HOST}:${ports.oldTls}`, new: `https://${HOST}:${ports.newTls}` } : undefined,
    stats: `http://${HOST}:${ports.stats}`,
  }
}

/**
 * A private CA and a certificate for `localhost` (P-256, what a current deployment would use), made
 * with the openssl command in `dir`: the https origins serve it, the proxies trust the CA and
 * check the name localhost (sent as SNI) while connecting to 127.0.0.1.
 */
export function makeTlsFiles(dir) {
  const run = (args) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${r.stderr}`)
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  run(['req', '-x509', ...ec, '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', '/CN=sluice bench CA', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  run(['req', '-new', ...ec, '-keyout', 'origin-key.pem', '-out', 'origin.csr', '-subj', '/CN=localhost'])
  writeFileSync(join(dir, 'origin.ext'), 'subjectAltName=DNS:localhost\n')
  run(['x509', '-req', '-in', 'origin.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2',
    '-extfile', 'origin.ext', '-out', 'origin.pem'])
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'origin.pem'), keyFile: join(dir, 'origin-key.pem'), servername: 'localhost' }
}
