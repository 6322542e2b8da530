// Shadow traffic's two promises, measured on a real sluice process (README "Shadow traffic"):
//
// 1. The client's latency does not depend on new: one sluice, two routes to the same fast old side,
//    `/plain` without shadow and `/slow` with 100 % shadow to a new side that answers after 2 s.
//    Requests alternate between the routes (same connections, same moment), and the p50/p99 of each
//    are compared (goal: /slow's p99 within 5 ms of /plain's).
// 2. Memory stays bounded: 20,000 shadowed requests whose answers are 100 KB on both sides (teed,
//    kept, compared byte for byte) grow sluice's RSS by less than 50 MB.
//
// Knobs: LAT_REQUESTS [4000] (half per route)  CONNS [8]  BIG_REQUESTS [20000]  BIG_CONNS [16]  DELAY_MS [2000]
// `npm run build` first; prints a summary and writes bench/results/shadow-<timestamp>.json.
import http from 'node:http'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { Pool } from 'undici'
import { BENCH, HOST, ROOT, createProcesses, envNumber as num, freePort, loadavg, rssMb, waitReady } from '../macro/lib.mjs'

const S = {
  latRequests: num('LAT_REQUESTS', 4000),
  conns: num('CONNS', 8),
  bigRequests: num('BIG_REQUESTS', 20_000),
  bigConns: num('BIG_CONNS', 16),
  delayMs: num('DELAY_MS', 2000),
}
const SMALL = Buffer.from(JSON.stringify({ ok: true, items: [1, 2, 3] }))
const BIG = Buffer.alloc(100 * 1024, 'a')

function origin(side) {
  const server = http.createServer((req, res) => {
    req.resume()
    const big = req.url.startsWith('/big')
    const body = big ? BIG : SMALL
    const send = () => res.writeHead(200, { 'content-type': big ? 'application/octet-stream' : 'application/json', 'content-length': body.length }).end(body)
    if (side === 'new' && req.url.startsWith('/slow')) setTimeout(send, S.delayMs)
    else send()
  })
  server.keepAliveTimeout = 65_000
  return new Promise((r) => server.listen(0, HOST, () => r({ server, url: `http://${HOST}:${server.address().port}` })))
}

function quantile(sorted, q) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

async function drive(pool, paths, conns, onDone) {
  let next = 0
  await Promise.all(Array.from({ length: conns }, async () => {
    while (next < paths.length) {
      const i = next++
      const t0 = performance.now()
      const res = await pool.request({ path: paths[i], method: 'GET', headers: { 'x-user-id': `u${i}` } })
      await res.body.dump({ limit: Infinity })
      onDone(paths[i], performance.now() - t0, res.statusCode)
    }
  }))
}

async function main() {
  const procs = createProcesses({ pin: false })
  const tmp = procs.tmpDir = mkdtempSync(join(os.tmpdir(), 'sluice-shadow-bench-'))
  const [oldO, newO] = [await origin('old'), await origin('new')]
  const [port, admin] = [await freePort(), await freePort()]
  const file = join(tmp, 'sluice.yaml')
  const route = (name, shadow) => [
    `  - name: ${name}`, `    match: { pathPrefix: /${name} }`, `    old: ${oldO.url}`, `    new: ${newO.url}`, '    sticky: [header:x-user-id]',
    ...(shadow ? [`    shadow: ${shadow}`] : []),
  ]
  writeFileSync(file, [
    `listen: ${HOST}:${port}`, `admin: { listen: ${HOST}:${admin} }`, 'shutdown: { drainDelay: 0s, timeout: 2s }', 'log: { level: warn }', 'routes:',
    ...route('plain'), ...route('slow', '{ percent: 100 }'), ...route('big', '{ percent: 100, maxBodyBytes: 256KiB }'), '',
  ].join('\n'))
  const sluice = procs.start('sluice', process.execPath, [join(ROOT, 'dist/main.js'), 'start', '--config', file], { cwd: ROOT })
  await waitReady(`http://${HOST}:${admin}/readyz`, sluice)
  const pool = new Pool(`http://${HOST}:${port}`, { connections: Math.max(S.conns, S.bigConns) })

  // 1. latency: alternate the routes, after a warm-up.
  await drive(pool, Array.from({ length: 400 }, (_, i) => (i % 2 ? '/slow/w' : '/plain/w')), S.conns, () => {})
  const lat = { plain: [], slow: [] }
  let bad = 0
  await drive(pool, Array.from({ length: S.latRequests }, (_, i) => (i % 2 ? `/slow/${i}` : `/plain/${i}`)), S.conns, (path, ms, status) => {
    if (status !== 200) bad++
    lat[path.startsWith('/slow') ? 'slow' : 'plain'].push(ms)
  })
  const stat = (xs) => {
    const s = [...xs].sort((a, b) => a - b)
    return { n: s.length, p50: quantile(s, 0.5), p99: quantile(s, 0.99) }
  }
  const latency = { plain: stat(lat.plain), slow: stat(lat.slow), non200: bad }
  const slowShadow = await (await fetch(`http://${HOST}:${admin}/api/routes/slow/shadow`)).json()

  // 2. memory: 20,000 shadowed requests with 100 KB answers on both sides.
  await drive(pool, Array.from({ length: 500 }, () => '/big/w'), S.bigConns, () => {})
  const rss0 = rssMb(sluice.pid)
  let peak = rss0
  const sampler = setInterval(() => { const r = rssMb(sluice.pid); if (r !== undefined && r > peak) peak = r }, 100)
  const t0 = performance.now()
  await drive(pool, Array.from({ length: S.bigRequests }, (_, i) => `/big/${i}`), S.bigConns, (_p, _ms, status) => { if (status !== 200) bad++ })
  const seconds = (performance.now() - t0) / 1000
  clearInterval(sampler)
  const bigShadow = await (await fetch(`http://${HOST}:${admin}/api/routes/big/shadow`)).json()
  const memory = {
    requests: S.bigRequests, seconds, rssBeforeMb: rss0, rssPeakMb: peak, growthMb: peak - rss0,
    shadow: { ...bigShadow, samples: bigShadow.samples.length },
  }

  await pool.close()
  await procs.stop(sluice)
  oldO.server.close(); newO.server.close()
  oldO.server.closeAllConnections(); newO.server.closeAllConnections()

  const f = (x) => x.toFixed(2)
  console.log(`latency (${S.latRequests} requests alternating, ${S.conns} connections; new answers /slow after ${S.delayMs} ms):`)
  console.log(`  /plain (no shadow)   p50 ${f(latency.plain.p50)} ms  p99 ${f(latency.plain.p99)} ms`)
  console.log(`  /slow  (100 % shadow) p50 ${f(latency.slow.p50)} ms  p99 ${f(latency.slow.p99)} ms  (p99 difference ${f(latency.slow.p99 - latency.plain.p99)} ms, goal ≤ 5)`)
  console.log(`  shadow calls of /slow: ${JSON.stringify({ ...slowShadow, samples: slowShadow.samples.length })}`)
  console.log(`memory: ${S.bigRequests} shadowed requests with 100 KB answers in ${f(seconds)} s: RSS ${f(rss0)} → peak ${f(peak)} MB, growth ${f(peak - rss0)} MB (goal < 50)`)
  console.log(`  shadow calls of /big: ${JSON.stringify(memory.shadow)}`)
  console.log(`non-200 answers: ${bad}; load ${loadavg().join(' ')}`)
  const out = { date: new Date().toISOString(), settings: S, latency, memory, load: loadavg() }
  mkdirSync(join(BENCH, 'results'), { recursive: true })
  writeFileSync(join(BENCH, 'results', `shadow-${out.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(out, null, 2) + '\n')
  process.exit(0)
}

main().catch((err) => { console.error(err); process.exit(1) })
