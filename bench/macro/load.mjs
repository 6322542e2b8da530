// The load generator, in its own process so run.mjs can pin it (taskset) next to the backends.
// Input: one JSON argument {url, conns, duration, warmup, keys, tool, rate, host}. Every request carries
// `x-user-id: u<N>` with N cycling over `keys` distinct values (the sticky key), and `host` when given
// (the routes knob); the path is the url's.
// Output on stdout, one JSON line each: {"phase":"measure"} when the measured run starts, then
// {"phase":"done", requests, rps, p50, p99, errors, non2xx, durationS}. Latencies in ms.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'

const opts = JSON.parse(process.argv[2])
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\n')

async function viaAutocannon() {
  // A static request list: autocannon pre-builds each buffer once, so the varying header costs the
  // load generator nothing per request (a setupRequest function would rebuild every request).
  const requests = []
  const path = new URL(opts.url).pathname
  const host = opts.host ? { host: opts.host } : {}
  for (let i = 0; i < opts.keys; i++) requests.push({ method: 'GET', path, headers: { 'x-user-id': `u${i}`, ...host } })
  // autocannon's own histogram has 1 ms resolution; keep a 10 µs one from its 'response' events.
  const BIN_US = 10
  const bins = new Uint32Array(200_000) // 0..2 s, the last bin holds everything slower
  const pct = (p, total) => {
    const want = Math.ceil((p / 100) * total)
    let acc = 0
    for (let i = 0; i < bins.length; i++) { acc += bins[i]; if (acc >= want) return ((i + 0.5) * BIN_US) / 1000 }
    return NaN
  }
  const once = (duration, record) => new Promise((resolve, reject) => {
    // RATE: a fixed offered load (requests per second over all connections) instead of as fast as
    // possible, to read the latency a proxy adds when it is not saturated.
    const rate = opts.rate > 0 ? { overallRate: opts.rate } : {}
    const inst = autocannon({ url: opts.url, connections: opts.conns, duration, pipelining: 1, requests, ...rate },
      (err, res) => err ? reject(err) : resolve(res))
    if (record) {
      inst.on('response', (_client, status, _bytes, ms) => {
        if (status >= 200 && status < 300) bins[Math.min(bins.length - 1, Math.floor((ms * 1000) / BIN_US))]++
      })
    }
  })
  if (opts.warmup > 0) await once(opts.warmup, false)
  emit({ phase: 'measure' })
  const r = await once(opts.duration, true)
  let ok = 0
  for (let i = 0; i < bins.length; i++) ok += bins[i]
  emit({
    phase: 'done',
    requests: r.requests.total,
    rps: r.requests.mean,
    p50: pct(50, ok),
    p99: pct(99, ok),
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    durationS: r.duration,
  })
}

const WRK_SCRIPT = `
local n = 0
local keys = tonumber(os.getenv("BENCH_KEYS") or "5000")
local host = os.getenv("BENCH_HOST") or ""
local path = os.getenv("BENCH_PATH") or "/"
request = function()
  n = n + 1
  if host ~= "" then
    return wrk.format("GET", path, { ["x-user-id"] = "u" .. (n % keys), ["Host"] = host })
  end
  return wrk.format("GET", path, { ["x-user-id"] = "u" .. (n % keys) })
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"durationUs":%d,"p50us":%d,"p99us":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`

async function viaWrk() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-wrk-'))
  const script = join(dir, 'bench.lua')
  writeFileSync(script, WRK_SCRIPT)
  const once = (duration) => new Promise((resolve, reject) => {
    const p = spawn('wrk', ['-t1', `-c${opts.conns}`, `-d${duration}s`, '-s', script, opts.url],
      { env: { ...process.env, BENCH_KEYS: String(opts.keys), BENCH_HOST: opts.host ?? '', BENCH_PATH: new URL(opts.url).pathname }, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (d) => { out += d })
    p.on('error', reject)
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'))
      if (code !== 0 || !line) reject(new Error(`wrk exited ${code}: ${out}`))
      else resolve(JSON.parse(line))
    })
  })
  try {
    if (opts.warmup > 0) await once(opts.warmup)
    emit({ phase: 'measure' })
    const r = await once(opts.duration)
    const s = r.durationUs / 1e6
    emit({ phase: 'done', requests: r.requests, rps: r.requests / s, p50: r.p50us / 1000, p99: r.p99us / 1000,
      errors: r.errors, non2xx: r.non2xx, durationS: s })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await (opts.tool === 'wrk' ? viaWrk() : viaAutocannon())
