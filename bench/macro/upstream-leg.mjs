// The upstream leg alone, as sluice's data plane runs it (an undici Pool, 50 requests in flight,
// each a GET whose 100-byte body is read), three ways: plain HTTP/1.1, HTTP/1.1 over TLS, and
// HTTP/2 over TLS (undici's `allowH2`). What TLS costs a Node proxy per request, and whether
// HTTP/2 to the backend would pay (README, HTTPS backends: why sluice has no `allowH2`).
//
//   node macro/upstream-leg.mjs        (from bench/; no build needed)
//
// The origin (node:http, and node:http2 createSecureServer with allowHTTP1, so ALPN picks what
// the client offers) runs in its own process on CPU 1; the client here on CPU 0. http and h1:
// 256 connections, pipelining 1 (sluice's settings); h2: 8 connections, 100 streams each.
// Alternating rounds; per round the client's CPU per request and req/s after a warm-up.
// Env: DURATION [5] s per round, WARMUP [2] s, ROUNDS [2] per mode, INFLIGHT [50].
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { HERE, ROOT, envNumber, hasTaskset, makeTlsFiles, median } from './lib.mjs'

const S = { duration: envNumber('DURATION', 5), warmup: envNumber('WARMUP', 2), rounds: envNumber('ROUNDS', 2), inflight: envNumber('INFLIGHT', 50) }

if (process.argv[2] === 'origin') {
  const http = await import('node:http')
  const http2 = await import('node:http2')
  const body = Buffer.from(`{"backend":"old","ok":true,"pad":"${'x'.repeat(64)}"}`)
  const answer = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
    res.end(body)
  }
  const tls = { allowHTTP1: true, cert: readFileSync(process.env.TLS_CERT), key: readFileSync(process.env.TLS_KEY) }
  const secure = http2.createSecureServer(tls, answer)
  const plain = http.createServer(answer)
  plain.keepAliveTimeout = 65_000
  const listen = (s) => new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s.address().port)))
  const ports = { tls: await listen(secure), plain: await listen(plain) }
  process.stdout.write(`${JSON.stringify(ports)}\n`)
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
} else {
  // undici from the product's dependencies: the version sluice runs.
  const { Pool } = await import(pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('undici')).href)
  const tmp = mkdtempSync(join(os.tmpdir(), 'sluice-upstream-leg-'))
  const tls = makeTlsFiles(tmp)
  const pin = (cpu, args) => (hasTaskset && os.availableParallelism() >= 2 ? ['taskset', ['-c', String(cpu), ...args]] : [args[0], args.slice(1)])
  const [cmd, argv] = pin(1, [process.execPath, join(HERE, 'upstream-leg.mjs'), 'origin'])
  const origin = spawn(cmd, argv, { env: { ...process.env, TLS_CERT: tls.certFile, TLS_KEY: tls.keyFile }, stdio: ['pipe', 'pipe', 'inherit'] })
  const ports = await new Promise((resolve) => origin.stdout.once('data', (d) => resolve(JSON.parse(String(d)))))
  if (hasTaskset) spawnSync('taskset', ['-pc', '0', String(process.pid)], { stdio: 'ignore' })

  const round = async (mode) => {
    const h2 = mode === 'h2'
    const pool = mode === 'http'
      ? new Pool(`http://127.0.0.1:${ports.plain}`, { connections: 256, pipelining: 1 })
      : new Pool(`https://127.0.0.1:${ports.tls}`, {
        connections: h2 ? 8 : 256, pipelining: h2 ? 100 : 1, allowH2: h2,
        connect: { ca: readFileSync(tls.caFile), servername: tls.servername },
      })
    let n = 0
    let stop = false
    const loop = async () => {
      while (!stop) {
        const res = await pool.request({ path: '/', method: 'GET', headers: { 'x-user-id': `u${n}` } })
        await res.body.dump()
        n++
      }
    }
    const loops = Array.from({ length: S.inflight }, loop)
    await new Promise((r) => setTimeout(r, S.warmup * 1000))
    const [n0, c0, t0] = [n, process.cpuUsage(), process.hrtime.bigint()]
    await new Promise((r) => setTimeout(r, S.duration * 1000))
    const [cpu, seconds, reqs] = [process.cpuUsage(c0), Number(process.hrtime.bigint() - t0) / 1e9, n - n0]
    stop = true
    await Promise.all(loops)
    await pool.close()
    return { mode, rps: reqs / seconds, cpuUsPerReq: (cpu.user + cpu.system) / reqs }
  }

  process.emitWarning = () => {} // undici's h2 ExperimentalWarning would interleave with the table
  const runs = []
  try {
    for (let i = 0; i < S.rounds; i++) {
      for (const mode of ['http', 'h1', 'h2']) {
        const r = await round(mode)
        runs.push(r)
        console.log(`  round ${i + 1} ${r.mode.padEnd(4)}  ${Math.round(r.rps).toLocaleString('en-US')} req/s  ${r.cpuUsPerReq.toFixed(1)} µs CPU/req`)
      }
    }
  } finally {
    origin.stdin.end()
    origin.kill()
    rmSync(tmp, { recursive: true, force: true })
  }
  const m = (mode, k) => median(runs.filter((r) => r.mode === mode).map((r) => r[k]))
  const line = (mode) => `${mode} ${Math.round(m(mode, 'rps'))} req/s ${m(mode, 'cpuUsPerReq').toFixed(1)} µs/req`
  console.log(`medians: ${['http', 'h1', 'h2'].map(line).join('; ')}`)
  console.log(`TLS (h1 over http) ${(m('h1', 'cpuUsPerReq') - m('http', 'cpuUsPerReq')).toFixed(1)} µs/req more; h2 / h1 CPU per request ${(m('h2', 'cpuUsPerReq') / m('h1', 'cpuUsPerReq')).toFixed(2)}×; load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`)
  process.exit(0)
}
