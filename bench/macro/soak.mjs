// Soak: sluice under steady load for minutes, sampling its memory, to show whether RSS and the heap
// stay flat (project target: "RSS ≤ 120 MB under load, flat over a 10-minute soak").
//
//   SOAK_S [600] seconds of load  SAMPLE_S [10] seconds between samples  CONNS [50]  KEYS [5000]
//   PERCENT [10]  LOADGEN [autocannon] or wrk  PIN [as in run.mjs]  SLUICE_NODE_FLAGS [""]
//
// Every sample: the process's RSS (/proc) and, from sluice's own /metrics (as Prometheus would
// scrape it), nodejs_heap_size_used_bytes. A leak shows as a rising heap *floor* (the lowest heap
// of each minute, i.e. what survives garbage collection) and a rising RSS; the report fits a line
// through each over the run minus its first minute (warm-up: JIT, pools, young generation growth).
// Results also go to bench/results/soak-<timestamp>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import {
  BENCH, HERE, createProcesses, envNumber, loadavg, pinFromEnv, request, rssMb, startBackend, startSluice,
} from './lib.mjs'

const S = {
  soakS: envNumber('SOAK_S', 600),
  sampleS: Math.max(1, envNumber('SAMPLE_S', 10)),
  conns: envNumber('CONNS', 50),
  keys: Math.max(1, envNumber('KEYS', 5000)),
  percent: envNumber('PERCENT', 10),
  loadgen: process.env.LOADGEN || 'autocannon',
  pin: pinFromEnv(),
  sluiceNodeFlags: (process.env.SLUICE_NODE_FLAGS || '').split(/\s+/).filter(Boolean),
}
if (S.soakS < 120) throw new Error('SOAK_S must be at least 120: the first minute is warm-up')
const procs = createProcesses({ pin: S.pin })

/** Least-squares slope of y over x (per unit of x). */
function slope(points) {
  const n = points.length
  if (n < 2) return null
  const mx = points.reduce((a, p) => a + p.x, 0) / n
  const my = points.reduce((a, p) => a + p.y, 0) / n
  let num = 0
  let den = 0
  for (const p of points) { num += (p.x - mx) * (p.y - my); den += (p.x - mx) ** 2 }
  return den === 0 ? null : num / den
}

async function heapUsedMb(admin) {
  const r = await request('GET', `${admin}/metrics`, 2000)
  const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(r.body)
  return m ? Number(m[1]) / 1024 / 1024 : undefined
}

const fmt = (v, d = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d))

async function main() {
  const tmp = procs.tmpDir = mkdtempSync(join(os.tmpdir(), 'sluice-soak-'))
  console.log(`sluice soak: ${S.soakS}s under ${S.loadgen}, ${S.conns} connections, sample every ${S.sampleS}s, pinned: ${S.pin ? 'yes' : 'no'}; load ${loadavg().join(' ')}`)
  const backend = await startBackend(procs)
  const sluice = await startSluice(procs, { origins: backend.origins, file: join(tmp, 'sluice.yaml'), percent: S.percent, nodeFlags: S.sluiceNodeFlags })
  const pid = sluice.child.pid
  const gen = procs.start('load', process.execPath, [join(HERE, 'load.mjs'), JSON.stringify({
    url: sluice.url, conns: S.conns, duration: S.soakS, warmup: 0, keys: S.keys, tool: S.loadgen,
  })], { cpu: 1 })
  await procs.jsonLine(gen, (o) => o.phase === 'measure', 30_000)
  const t0 = Date.now()
  const samples = []
  const sampler = setInterval(async () => {
    const t = (Date.now() - t0) / 1000
    const rss = rssMb(pid)
    let heap
    try { heap = await heapUsedMb(sluice.admin) } catch { heap = undefined }
    samples.push({ t, rss, heap })
    if (samples.length % Math.max(1, Math.round(60 / S.sampleS)) === 0) {
      console.log(`  ${fmt(t / 60)} min  rss ${fmt(rss)} MB  heap used ${fmt(heap)} MB`)
    }
  }, S.sampleS * 1000)
  const done = await procs.jsonLine(gen, (o) => o.phase === 'done', (S.soakS + 60) * 1000)
  clearInterval(sampler)
  await procs.stop(sluice.child)
  await procs.stop(backend.child)

  // Per minute: the highest RSS and the heap floor (lowest heap used). A sample taken after the
  // load ended, or a minute the run did not fill, says nothing about steady state.
  const minutes = []
  for (const s of samples.filter((x) => x.t <= S.soakS)) {
    const m = Math.floor(s.t / 60)
    const row = minutes[m] ??= { minute: m + 1, rssMax: 0, heapFloor: Infinity }
    if (s.rss !== undefined) row.rssMax = Math.max(row.rssMax, s.rss)
    if (s.heap !== undefined) row.heapFloor = Math.min(row.heapFloor, s.heap)
  }
  const settled = samples.filter((s) => s.t >= 60 && s.t <= S.soakS)
  const rssSlope = slope(settled.filter((s) => s.rss !== undefined).map((s) => ({ x: s.t / 60, y: s.rss })))
  const floors = minutes.slice(1).filter((r) => Number.isFinite(r.heapFloor))
  const floorSlope = slope(floors.map((r) => ({ x: r.minute, y: r.heapFloor })))
  minutes.length = Math.min(minutes.length, Math.floor(S.soakS / 60))
  console.log('\nminute  RSS max MB  heap floor MB')
  for (const r of minutes.filter(Boolean)) console.log(`${String(r.minute).padStart(6)}  ${fmt(r.rssMax).padStart(10)}  ${fmt(r.heapFloor).padStart(13)}`)
  const rssPeak = Math.max(...samples.map((s) => s.rss ?? 0))
  console.log(`\n${done.requests.toLocaleString('en-US')} requests, ${Math.round(done.rps).toLocaleString('en-US')} req/s, p99 ${fmt(done.p99, 2)} ms, errors ${done.errors}/${done.non2xx}`)
  console.log(`RSS peak ${fmt(rssPeak)} MB; after the first minute RSS moves ${fmt(rssSlope, 2)} MB/min and the heap floor ${fmt(floorSlope, 2)} MB/min`)

  const out = {
    date: new Date().toISOString(),
    settings: S,
    node: process.version,
    cpu: os.cpus()[0]?.model,
    load: done,
    samples,
    minutes,
    rssPeak,
    rssSlopeMbPerMin: rssSlope,
    heapFloorSlopeMbPerMin: floorSlope,
  }
  const dir = join(BENCH, 'results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `soak-${out.date.replace(/[:.]/g, '-')}.json`)
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n')
  console.log(`results: ${file}`)
  rmSync(tmp, { recursive: true, force: true })
}

main().then(() => process.exit(0), (err) => {
  if (procs.interrupted) return
  process.stderr.write(`soak failed: ${err.stack ?? err}\n`)
  procs.killAll()
  process.exit(1)
})
