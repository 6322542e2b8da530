// Macro benchmark: direct vs sluice vs an http-proxy baseline, each in its own process.
//
//   backend.mjs              old + new origins (+ a stats port), one process for the whole run
//   sluice / baseline        one fresh proxy process per round, started, polled until ready, stopped
//   load.mjs                 autocannon (or wrk) in its own process, warm-up then a measured run
//
// Env knobs (defaults in brackets):
//   CONNS [50]  DURATION [10] s  ROUNDS [3]  WARMUP [3] s  KEYS [5000] distinct x-user-id values
//   PERCENT [10] to new  PIN [1 when taskset exists and nproc ≥ 2]: proxy on CPU 0, backend + load on CPU 1
//   LOADGEN [autocannon] or wrk
//   CONTENDERS [direct,nginx,nginx-https (nginx ones when installed),node-floor,undici-minimal,sluice,
//     sluice-https,sluice-rollout,sluice-shadow,http-proxy]
//     *-https: the same proxy to the same origins over HTTPS (keep-alive, certificate verified): the
//     cost of upstream TLS
//   SLUICE_NODE_FLAGS [""] extra node flags for sluice only (e.g. --max-semi-space-size=32)
//   BASELINE [unset] a checkout with a built dist/main.js (bench/baseline.sh REV makes one): adds the
//     contender sluice-baseline, that build started exactly as sluice (same config, flags, pinning),
//     so CONTENDERS=sluice,sluice-baseline compares two builds, interleaved, in one run
//   RATE [0 = as fast as possible] a fixed offered load in req/s (autocannon only): latency below saturation
//   ROUTES [unset] e.g. 1,100,10000: sluice and nginx run once per count of host routes
//     (`svcI.example.com` + `/apiI`, nginx: one `server` block each), the request matching the last;
//     the contenders become sluice@1, nginx@1, sluice@100, … (default CONTENDERS then: nginx,sluice)
// Rounds are interleaved (direct, sluice, http-proxy, direct, …); the table shows medians per contender.
// Results also go to bench/results/macro-<timestamp>.json.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join, resolve } from 'node:path'
import {
  BENCH, HERE, HOST, NPROC, ROOT, cpuUs, createProcesses, envNumber as num, freePort, loadavg, makeTlsFiles, median,
  pinFromEnv,
  hostRoutes, request, rssMb, startBackend, startSluice as startSluiceProcess, waitReady,
} from './lib.mjs'

const PIN = pinFromEnv()
const S = {
  conns: num('CONNS', 50),
  duration: num('DURATION', 10),
  rounds: num('ROUNDS', 3),
  warmup: num('WARMUP', 3),
  keys: Math.max(1, num('KEYS', 5000)),
  percent: num('PERCENT', 10),
  rate: num('RATE', 0),
  pin: PIN,
  loadgen: process.env.LOADGEN || 'autocannon',
  routes: (process.env.ROUTES || '').split(',').map((s) => s.trim()).filter(Boolean).map(Number),
  sluiceNodeFlags: (process.env.SLUICE_NODE_FLAGS || '').split(/\s+/).filter(Boolean),
  baseline: process.env.BASELINE ? resolve(process.env.BASELINE) : undefined,
}
const defaultContenders = S.routes.length > 0
  ? `${findNginx() ? 'nginx,' : ''}sluice`
  : `direct,${findNginx() ? 'nginx,nginx-https,' : ''}node-floor,undici-minimal,sluice,sluice-https,sluice-rollout,sluice-shadow,http-proxy`
// BASELINE set: sluice-baseline runs right after sluice unless CONTENDERS says otherwise.
const withBaseline = (list) => (S.baseline ? list.replace(/(^|,)sluice(,|$)/, '$1sluice,sluice-baseline$2') : list)
const baseContenders = (process.env.CONTENDERS || withBaseline(defaultContenders)).split(',').map((s) => s.trim()).filter(Boolean)
const KNOWN = ['direct', 'sluice', 'sluice-baseline', 'sluice-https', 'sluice-rollout', 'sluice-shadow', 'undici-minimal', 'node-floor',
  'nginx', 'nginx-https', 'http-proxy']
for (const c of baseContenders) if (!KNOWN.includes(c)) throw new Error(`unknown contender '${c}'`)
if (baseContenders.includes('sluice-baseline') && !S.baseline) {
  throw new Error('the sluice-baseline contender needs BASELINE=/path/to/a/checkout with a built dist/main.js (bench/baseline.sh REV)')
}
for (const n of S.routes) if (!Number.isInteger(n) || n < 1) throw new Error(`ROUTES must be positive integers, got '${process.env.ROUTES}'`)
// With ROUTES, the contenders that route on host and path (sluice, sluice-rollout, nginx) run once per route count.
const ROUTED = ['sluice', 'sluice-baseline', 'sluice-rollout', 'nginx']
S.contenders = S.routes.length === 0 ? baseContenders : S.routes.flatMap((n) => baseContenders.map((c) => (ROUTED.includes(c) ? `${c}@${n}` : c)))
  .filter((c, i, all) => all.indexOf(c) === i)
const HTTPS_ORIGINS = S.contenders.some((c) => c.endsWith('-https'))
if (!['autocannon', 'wrk'].includes(S.loadgen)) throw new Error(`LOADGEN must be autocannon or wrk, got '${S.loadgen}'`)
if (S.rate > 0 && S.loadgen !== 'autocannon') throw new Error('RATE needs LOADGEN=autocannon (wrk cannot hold a fixed rate)')

const procs = createProcesses({ pin: S.pin })
const { start, jsonLine, stop } = procs

// ---------------------------------------------------------------- contenders

async function startSluice(
  origins, tmp, round, rollout = false, tls = undefined, shadow = false, routes = undefined, baseline = false,
) {
  const name = `sluice-${round}${baseline ? '-baseline' : ''}${rollout ? '-rollout' : ''}${shadow ? '-shadow' : ''}${tls ? '-https' : ''}` +
    `${routes ? `-${routes.count}` : ''}.yaml`
  const proxy = await startSluiceProcess(procs, {
    origins, file: join(tmp, name), percent: S.percent, nodeFlags: S.sluiceNodeFlags, rollout, shadow, tls, routes,
    ...(baseline ? { root: S.baseline, name: 'sluice-baseline' } : {}),
  })
  return { ...proxy, host: routes?.host }
}

async function startHttpProxy(origins, name = 'http-proxy', script = 'http-proxy-baseline.mjs') {
  const child = start(name, process.execPath, [join(HERE, script)],
    { cpu: 0, env: { OLD: origins.old, NEW: origins.new, PORT: '0', PERCENT: String(S.percent) } })
  const { port } = await jsonLine(child, (o) => typeof o.port === 'number')
  const url = `http://${HOST}:${port}/`
  await waitReady(url, child)
  return { child, url }
}

/** Debian installs nginx in /usr/sbin, which is not on every user's PATH. */
function findNginx() {
  for (const c of [process.env.NGINX_BIN, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx', 'nginx']) {
    if (c && spawnSync(c, ['-v'], { stdio: 'ignore' }).status === 0) return c
  }
  return undefined
}

/**
 * nginx as the C reference: one process (master_process off, one worker's
 * work), `split_clients` on the same `NAME:KEY` string sluice hashes, keep-alive upstreams, no
 * access log. Its private prefix lives in the run's temp dir. With `tls` (nginx-https), the
 * origins are the HTTPS ones, verified against the bench CA under the name sent as SNI, as
 * sluice-https does.
 */
async function startNginx(origins, tmp, round, tls = undefined, routes = undefined) {
  const bin = findNginx()
  if (!bin) throw new Error('nginx contender: nginx is not installed (apt-get install nginx-light, or set NGINX_BIN)')
  const port = await freePort()
  const dir = join(tmp, `nginx-${round}${tls ? '-https' : ''}${routes ? `-${routes.count}` : ''}`)
  const upstreamTls = tls ? `
      proxy_ssl_trusted_certificate ${tls.caFile};
      proxy_ssl_verify on;
      proxy_ssl_name ${tls.servername};
      proxy_ssl_server_name on;
      proxy_ssl_session_reuse on;` : ''
  const proxyBlock = `
      proxy_pass ${tls ? 'https' : 'http'}://$side;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;${upstreamTls}`
  // The routes knob: one server block per host route, as a team moving an estate would write it.
  const servers = routes === undefined
    ? `  server {\n    listen ${HOST}:${port};\n    location / {${proxyBlock}\n    }\n  }`
    : Array.from({ length: routes.count }, (_, i) =>
      `  server { listen ${HOST}:${port}; server_name ${routes.hostOf(i)}; location ${routes.prefixOf(i)} {${proxyBlock}\n    } }`).join('\n')
  mkdirSync(dir, { recursive: true })
  const conf = join(dir, 'nginx.conf')
  writeFileSync(conf, `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/pt; fastcgi_temp_path ${dir}/ft; uwsgi_temp_path ${dir}/ut; scgi_temp_path ${dir}/st;
  # nginx closes a keep-alive connection after 1,000 requests by default, on both legs: the
  # other contenders never do, so the limits are lifted.
  keepalive_requests 1000000;
  upstream old { server ${origins.old.replace(/^https?:\/\//, '')}; keepalive 256; keepalive_requests 1000000; }
  upstream new { server ${origins.new.replace(/^https?:\/\//, '')}; keepalive 256; keepalive_requests 1000000; }
  split_clients "bench:\${http_x_user_id}" $side { ${S.percent}% new; * old; }
  server_names_hash_max_size 65536;
  server_names_hash_bucket_size 128;
${servers}
}
`)
  const child = start('nginx', bin, ['-p', `${dir}/`, '-c', conf, '-e', join(dir, 'error.log')], { cpu: 0 })
  const url = `http://${HOST}:${port}${routes?.path ?? '/'}`
  await waitReady(url, child, 60_000, routes?.host)
  return { child, url, host: routes?.host }
}

// ---------------------------------------------------------------- one run

async function runLoad(contender, url, proxyPid, backendPid, statsUrl, host) {
  await request('POST', `${statsUrl}/__reset`)
  const gen = start('load', process.execPath, [join(HERE, 'load.mjs'), JSON.stringify({
    url, conns: S.conns, duration: S.duration, warmup: S.warmup, keys: S.keys, tool: S.loadgen, rate: S.rate, host,
  })], { cpu: 1 })
  await jsonLine(gen, (o) => o.phase === 'measure', (S.warmup + 30) * 1000)
  const t0 = process.hrtime.bigint()
  const cpu0 = proxyPid ? cpuUs(proxyPid) : 0
  const side0 = cpuUs(gen.pid, true) + cpuUs(backendPid)
  let rssPeak = proxyPid ? rssMb(proxyPid) ?? 0 : null
  const sampler = proxyPid
    ? setInterval(() => { const r = rssMb(proxyPid); if (r !== undefined && r > rssPeak) rssPeak = r }, 200)
    : undefined
  let res
  try {
    res = await new Promise((resolve, reject) => {
      let buf = ''
      const onData = (d) => {
        buf += d
        const line = buf.split('\n').find((l) => l.includes('"phase":"done"'))
        if (!line) return
        const o = JSON.parse(line)
        // Read the counters now, before the processes exit or idle.
        o.cpu1 = proxyPid ? cpuUs(proxyPid) : 0
        o.side1 = cpuUs(gen.pid, true) + cpuUs(backendPid)
        o.t1 = process.hrtime.bigint()
        resolve(o)
      }
      gen.stdout.on('data', onData)
      gen.exited.then(({ code, signal }) => reject(new Error(`load generator exited (${code ?? signal}):\n${gen.log}`)))
    })
  } finally {
    if (sampler) clearInterval(sampler)
  }
  await gen.exited
  const wallUs = Number(res.t1 - t0) / 1000
  const stats = JSON.parse((await request('GET', `${statsUrl}/__stats`)).body)
  return {
    contender,
    rps: res.rps,
    p50: res.p50,
    p99: res.p99,
    requests: res.requests,
    errors: res.errors,
    non2xx: res.non2xx,
    rssPeakMb: proxyPid ? rssPeak : null,
    cpuUsPerReq: proxyPid && res.requests > 0 ? (res.cpu1 - cpu0) / res.requests : null,
    // CPU of the load generator plus the backends over the measured run, in % of one core: near 100
    // when pinned means core 1 (not the proxy) is what limits the figures.
    loadSideCpuPct: (100 * (res.side1 - side0)) / wallUs,
    backend: stats, // hits per side over warm-up + measured run; split = keys seen on both sides
  }
}

async function runOne(contender, round, ctx) {
  let proxy
  const [name, count] = contender.split('@')
  const routes = count === undefined ? undefined : hostRoutes(Number(count))
  try {
    if (name === 'direct') proxy = { url: `${ctx.origins.old}/`, child: undefined }
    else if (name === 'sluice') proxy = await startSluice(ctx.origins, ctx.tmp, round, false, undefined, false, routes)
    else if (name === 'sluice-baseline') proxy = await startSluice(ctx.origins, ctx.tmp, round, false, undefined, false, routes, true)
    else if (name === 'sluice-rollout') proxy = await startSluice(ctx.origins, ctx.tmp, round, true, undefined, false, routes)
    else if (name === 'sluice-shadow') proxy = await startSluice(ctx.origins, ctx.tmp, round, false, undefined, true)
    else if (name === 'sluice-https') proxy = await startSluice(ctx.tlsOrigins, ctx.tmp, round, false, ctx.tls)
    else if (name === 'nginx-https') proxy = await startNginx(ctx.tlsOrigins, ctx.tmp, round, ctx.tls)
    else if (name === 'node-floor') proxy = await startHttpProxy(ctx.origins, 'node-floor', 'node-floor.mjs')
    else if (name === 'nginx') proxy = await startNginx(ctx.origins, ctx.tmp, round, undefined, routes)
    else if (name === 'undici-minimal') proxy = await startHttpProxy(ctx.origins, 'undici-minimal', 'undici-minimal.mjs')
    else proxy = await startHttpProxy(ctx.origins)
    return await runLoad(contender, proxy.url, proxy.child?.pid, ctx.backend.pid, ctx.stats, proxy.host)
  } finally {
    if (proxy?.child) await stop(proxy.child)
  }
}

// ---------------------------------------------------------------- report

const fmt = (v, d = 0) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }))

function table(rows, cols) {
  const cells = [cols.map((c) => c[0]), ...rows.map((r) => cols.map((c) => c[1](r)))]
  const w = cols.map((_, i) => Math.max(...cells.map((r) => r[i].length)))
  return cells.map((r, j) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ') + (j === 0 ? '\n' + w.map((x) => '-'.repeat(x)).join('  ') : '')).join('\n')
}


/** The short commit of a checkout (and `+dirty` when it has uncommitted changes), or undefined. */
function gitRev(dir) {
  const rev = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' })
  if (rev.status !== 0) return undefined
  const dirty = spawnSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout?.trim()
  return rev.stdout.trim() + (dirty ? '+dirty' : '')
}

/**
 * a's CPU per request over b's, round by round: two builds measured back to back in one round see
 * the same machine, so the spread of these ratios is the noise the median ratio must be read against.
 */
function perRoundRatios(runs, a, b) {
  const byRound = (c) => new Map(runs.filter((r) => r.contender === c).map((r) => [r.round, r.cpuUsPerReq]))
  const [ra, rb] = [byRound(a), byRound(b)]
  return [...ra.keys()].filter((k) => rb.get(k)).map((k) => `${fmt(ra.get(k) / rb.get(k), 3)}×`).join(' ')
}

// ---------------------------------------------------------------- main

async function main() {
  const tmp = procs.tmpDir = mkdtempSync(join(os.tmpdir(), 'sluice-bench-'))
  const machine = {
    nproc: NPROC,
    cpu: os.cpus()[0]?.model,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadavgBefore: loadavg(),
    uptimeBefore: spawnSync('uptime', { encoding: 'utf8' }).stdout?.trim(),
  }
  if (S.contenders.some((c) => c.startsWith('sluice') && !c.startsWith('sluice-baseline'))) {
    try { readFileSync(join(ROOT, 'dist/main.js')) } catch { throw new Error('dist/main.js is missing: build first (npm run build at the repo root)') }
  }
  if (S.contenders.some((c) => c.startsWith('sluice-baseline'))) {
    try { readFileSync(join(S.baseline, 'dist/main.js')) } catch {
      throw new Error(`BASELINE: ${S.baseline}/dist/main.js is missing: build that checkout first (bench/baseline.sh REV does)`)
    }
    machine.baseline = { dir: S.baseline, rev: gitRev(S.baseline) }
  }
  machine.rev = gitRev(ROOT)
  console.log(`sluice macro bench: ${S.contenders.join(', ')} · ${S.conns} connections · ${S.duration}s (+${S.warmup}s warm-up) × ${S.rounds} rounds · ${S.loadgen}${S.rate > 0 ? ` at ${S.rate} req/s` : ''} · ${S.keys} keys · ${S.percent}% to new · pinned: ${S.pin ? 'proxy→CPU0, backend+load→CPU1' : 'no'}`)
  if (machine.baseline) console.log(`sluice: ${ROOT} at ${machine.rev ?? '?'}; sluice-baseline: ${S.baseline} at ${machine.baseline.rev ?? '?'}`)
  console.log(`machine: ${machine.nproc} cores, ${machine.cpu}, node ${machine.node}; ${machine.uptimeBefore}`)

  const tls = HTTPS_ORIGINS ? makeTlsFiles(tmp) : undefined
  const started = await startBackend(procs, tls)
  const backend = started.child
  const origins = started.origins
  const ctx = { tmp, backend, origins, tlsOrigins: started.tlsOrigins, tls, stats: started.stats }

  const runs = []
  const NAME_WIDTH = Math.max(10, ...S.contenders.map((c) => c.length))
  try {
    for (let round = 1; round <= S.rounds; round++) {
      for (const c of S.contenders) {
        const r = await runOne(c, round, ctx)
        r.round = round
        runs.push(r)
        const share = r.backend.old + r.backend.new > 0 ? (100 * r.backend.new) / (r.backend.old + r.backend.new) : 0
        console.log(`  round ${round} ${c.padEnd(NAME_WIDTH)} ${fmt(r.rps).padStart(7)} req/s  p50 ${fmt(r.p50, 2)} ms  p99 ${fmt(r.p99, 2)} ms` +
          `  err ${r.errors}/${r.non2xx}` + (r.rssPeakMb !== null ? `  rss ${fmt(r.rssPeakMb)} MB  cpu ${fmt(r.cpuUsPerReq, 1)} µs/req` : '') +
          `  load-side ${fmt(r.loadSideCpuPct)}%` + (c === 'direct' ? '' : `  new ${share.toFixed(2)}%`) +
          (c.endsWith('-https') ? `  TLS handshakes ${r.backend.handshakes}` : ''))
      }
    }
  } finally {
    await stop(backend)
    rmSync(tmp, { recursive: true, force: true })
  }

  const medians = {}
  for (const c of S.contenders) {
    const rs = runs.filter((r) => r.contender === c)
    const newShare = rs.map((r) => {
      const total = r.backend.old + r.backend.new
      return total > 0 ? (100 * r.backend.new) / total : null
    })
    medians[c] = {
      rps: median(rs.map((r) => r.rps)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      errors: rs.reduce((a, r) => a + r.errors, 0),
      non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
      rssPeakMb: median(rs.map((r) => r.rssPeakMb)),
      cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)),
      loadSideCpuPct: median(rs.map((r) => r.loadSideCpuPct)),
      newSharePct: c === 'direct' ? null : median(newShare),
      stickyKeysOnBothSides: c === 'direct' ? null : Math.max(...rs.map((r) => r.backend.split)),
      keysSeen: median(rs.map((r) => r.backend.keys)),
    }
  }
  const ratio = (a, b, k) => (medians[a] && medians[b] && medians[b][k] ? medians[a][k] / medians[b][k] : null)
  const ratios = {
    sluiceVsDirectRps: ratio('sluice', 'direct', 'rps'),
    sluiceVsBaselineRps: ratio('sluice', 'sluice-baseline', 'rps'),
    sluiceVsBaselineCpuPerReq: ratio('sluice', 'sluice-baseline', 'cpuUsPerReq'),
    sluiceVsBaselineP99: ratio('sluice', 'sluice-baseline', 'p99'),
    sluiceVsHttpProxyRps: ratio('sluice', 'http-proxy', 'rps'),
    sluiceVsHttpProxyCpuPerReq: ratio('sluice', 'http-proxy', 'cpuUsPerReq'),
    sluiceVsHttpProxyP99: ratio('sluice', 'http-proxy', 'p99'),
    httpProxyVsDirectRps: ratio('http-proxy', 'direct', 'rps'),
    sluiceVsUndiciMinimalRps: ratio('sluice', 'undici-minimal', 'rps'),
    sluiceVsUndiciMinimalCpuPerReq: ratio('sluice', 'undici-minimal', 'cpuUsPerReq'),
    sluiceVsNginxRps: ratio('sluice', 'nginx', 'rps'),
    sluiceVsNginxP99: ratio('sluice', 'nginx', 'p99'),
    rolloutVsSluiceRps: ratio('sluice-rollout', 'sluice', 'rps'),
    rolloutVsSluiceCpuPerReq: ratio('sluice-rollout', 'sluice', 'cpuUsPerReq'),
    shadowVsSluiceRps: ratio('sluice-shadow', 'sluice', 'rps'),
    shadowVsSluiceCpuPerReq: ratio('sluice-shadow', 'sluice', 'cpuUsPerReq'),
    nginxVsHttpProxyRps: ratio('nginx', 'http-proxy', 'rps'),
    nodeFloorVsHttpProxyRps: ratio('node-floor', 'http-proxy', 'rps'),
    sluiceHttpsVsSluiceRps: ratio('sluice-https', 'sluice', 'rps'),
    nginxHttpsVsNginxRps: ratio('nginx-https', 'nginx', 'rps'),
    sluiceHttpsVsNginxHttpsRps: ratio('sluice-https', 'nginx-https', 'rps'),
    // No proxy can beat the backend it forwards to: direct / http-proxy is the largest ratio any
    // contender can show in this run, on this machine.
    ceilingVsHttpProxyRps: ratio('direct', 'http-proxy', 'rps'),
  }
  machine.loadavgAfter = loadavg()
  machine.uptimeAfter = spawnSync('uptime', { encoding: 'utf8' }).stdout?.trim()

  console.log(`\nmedians of ${S.rounds} round(s):\n`)
  const rows = S.contenders.map((c) => ({ c, ...medians[c] }))
  console.log(table(rows, [
    ['contender', (r) => r.c],
    ['req/s', (r) => fmt(r.rps)],
    ['vs direct', (r) => fmt(medians.direct ? r.rps / medians.direct.rps : null, 2)],
    ['p50 ms', (r) => fmt(r.p50, 2)],
    ['p99 ms', (r) => fmt(r.p99, 2)],
    ['errors/non-2xx', (r) => `${r.errors}/${r.non2xx}`],
    ['proxy RSS MB', (r) => fmt(r.rssPeakMb)],
    ['proxy CPU µs/req', (r) => fmt(r.cpuUsPerReq, 1)],
    ['load-side CPU %', (r) => fmt(r.loadSideCpuPct)],
    ['to new %', (r) => fmt(r.newSharePct, 2)],
  ]))
  console.log('')
  if (S.rate > 0) {
    // At a fixed offered load every contender serves the same req/s: only latency and CPU compare.
    const p99 = (c) => (medians[c] ? `${c} ${fmt(medians[c].p99, 2)} ms` : null)
    console.log(`p99 at ${fmt(S.rate)} req/s offered: ${S.contenders.map(p99).filter(Boolean).join(', ')}`)
    if (ratios.sluiceVsNginxP99 !== null) console.log(`sluice / nginx p99 ${fmt(ratios.sluiceVsNginxP99, 2)}× (target ≤ 1.5×)`)
  }
  if (S.rate === 0 && ratios.sluiceVsDirectRps !== null) console.log(`sluice / direct      throughput ${fmt(ratios.sluiceVsDirectRps, 2)}×`)
  if (ratios.sluiceVsBaselineCpuPerReq !== null) {
    // The before/after line of a refactor: the same config, the same pinning, rounds interleaved.
    console.log(`sluice / sluice-baseline (this build / ${machine.baseline.rev ?? S.baseline})` +
      (S.rate === 0 ? `  throughput ${fmt(ratios.sluiceVsBaselineRps, 3)}×,` : '') +
      ` CPU per request ${fmt(ratios.sluiceVsBaselineCpuPerReq, 3)}×, p99 ${fmt(ratios.sluiceVsBaselineP99, 3)}×` +
      ` (per round: ${perRoundRatios(runs, 'sluice', 'sluice-baseline')})`)
  }
  if (S.rate === 0 && ratios.sluiceVsHttpProxyRps !== null) {
    const ok = ratios.sluiceVsHttpProxyRps >= 2.5
    console.log(`sluice / http-proxy  throughput ${fmt(ratios.sluiceVsHttpProxyRps, 2)}× (target ≥ 2.5×: ${ok ? 'met' : 'NOT met'}),` +
      ` CPU per request ${fmt(ratios.sluiceVsHttpProxyCpuPerReq, 2)}×, p99 ${fmt(ratios.sluiceVsHttpProxyP99, 2)}×`)
  }
  if (S.rate === 0 && ratios.ceilingVsHttpProxyRps !== null) {
    const others = [['nginx', ratios.nginxVsHttpProxyRps], ['node-floor', ratios.nodeFloorVsHttpProxyRps]].filter(([, r]) => r !== null)
    console.log(`reachable / http-proxy  throughput: direct (the ceiling) ${fmt(ratios.ceilingVsHttpProxyRps, 2)}×` +
      others.map(([n, r]) => `, ${n} ${fmt(r, 2)}×`).join(''))
  }
  if (S.rate === 0 && ratios.sluiceVsNginxRps !== null) {
    console.log(`sluice / nginx       throughput ${fmt(ratios.sluiceVsNginxRps, 2)}× (target ≥ 0.75×), p99 ${fmt(ratios.sluiceVsNginxP99, 2)}× (target ≤ 1.5×)`)
  }
  if (S.rate === 0 && ratios.rolloutVsSluiceRps !== null) {
    const ok = ratios.rolloutVsSluiceRps >= 0.97
    console.log(`sluice with a rollout (every analysis check on) / without  throughput ${fmt(ratios.rolloutVsSluiceRps, 3)}× (target ≥ 0.97×: ${ok ? 'met' : 'NOT met'}), CPU per request ${fmt(ratios.rolloutVsSluiceCpuPerReq, 3)}×`)
  }
  if (S.rate === 0 && ratios.shadowVsSluiceRps !== null) {
    const extra = medians['sluice-shadow'].cpuUsPerReq - medians.sluice.cpuUsPerReq
    console.log(`sluice with 100 % shadow / without  throughput ${fmt(ratios.shadowVsSluiceRps, 3)}×, CPU per request ${fmt(ratios.shadowVsSluiceCpuPerReq, 3)}× (+${fmt(extra, 1)} µs per request: a second upstream call, both answers teed and compared)`)
  }
  // Upstream TLS: what speaking HTTPS to the origins adds per request, sluice beside nginx.
  // At a fixed RATE the CPU per request compares at the same load (no batching difference).
  const tlsCost = (plain, https) => (medians[plain] && medians[https]
    ? `${https} ${fmt(medians[https].cpuUsPerReq - medians[plain].cpuUsPerReq, 1)} µs/req CPU more than ${plain}` +
      ` (${fmt(medians[https].cpuUsPerReq, 1)} vs ${fmt(medians[plain].cpuUsPerReq, 1)})` +
      (S.rate === 0 ? `, throughput ${fmt(medians[https].rps / medians[plain].rps, 2)}×` : '') + `, p99 ${fmt(medians[https].p99, 2)} ms`
    : null)
  const tlsLines = [tlsCost('sluice', 'sluice-https'), tlsCost('nginx', 'nginx-https')].filter(Boolean)
  if (tlsLines.length > 0) {
    console.log(`https upstream: ${tlsLines.join('; ')}` +
      (S.rate === 0 && ratios.sluiceHttpsVsNginxHttpsRps !== null ? `; sluice-https / nginx-https throughput ${fmt(ratios.sluiceHttpsVsNginxHttpsRps, 2)}×` : ''))
  }
  if (ratios.sluiceVsUndiciMinimalRps !== null) {
    console.log(`sluice / minimal undici proxy  throughput ${fmt(ratios.sluiceVsUndiciMinimalRps, 2)}×, CPU per request ${fmt(ratios.sluiceVsUndiciMinimalCpuPerReq, 2)}× (the cost of sluice's features over the Node floor)`)
  }
  if (S.routes.length > 1) {
    const [few, many] = [Math.min(...S.routes), Math.max(...S.routes)]
    for (const c of baseContenders.filter((b) => ROUTED.includes(b))) {
      const a = medians[`${c}@${few}`]
      const b = medians[`${c}@${many}`]
      if (!a || !b) continue
      const rps = b.rps / a.rps
      const cpu = b.cpuUsPerReq / a.cpuUsPerReq
      const ok = rps >= 0.95 && cpu <= 1.05
      console.log(`${c}: ${fmt(many)} routes / ${fmt(few)} route(s), the request matching the last: throughput ${fmt(rps, 3)}×, CPU per request ${fmt(cpu, 3)}×` +
        (c === 'nginx' ? '' : ` (target within 5 %: ${ok ? 'met' : 'NOT met'})`))
    }
  }
  if (medians.sluice) {
    const m = medians.sluice
    console.log(`sluice split: ${fmt(m.newSharePct, 2)} % of backend hits reached new (configured ${S.percent} %), ` +
      `${fmt(m.keysSeen)} distinct keys, ${m.stickyKeysOnBothSides} key(s) seen on both sides (sticky: must be 0)`)
  }
  console.log(`load: before ${machine.loadavgBefore.join(' ')}, after ${machine.loadavgAfter.join(' ')} (1/5/15 min)`)

  const out = { date: new Date().toISOString(), machine, settings: S, runs, medians, ratios }
  const dir = join(BENCH, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `macro-${out.date.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n')
  console.log(`results: ${file}`)
}

main().then(() => process.exit(0), (err) => {
  if (procs.interrupted) return // the SIGINT handler exits
  process.stderr.write(`bench failed: ${err.stack ?? err}\n`)
  procs.killAll()
  process.exit(1)
})
