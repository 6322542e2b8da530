#!/usr/bin/env node --expose-gc
// The dashboard series (src/observe/series.ts) at many routes, in process: what an hour of points
// costs in heap, and the longest event-loop turn of one 10-second sample. Promises at 10,000 routes
// (issue "many routes"): under 100 MB above an empty sluice, no event-loop stall over 50 ms (the
// sample itself aims at ~10 ms).
//
// A SeriesBook over the real recorder with ROUTES routes (default 10,000) and a manual clock: a
// baseline reading, then SAMPLES (361: an hour at 10 s, the ring's capacity) samples, each after
// ACTIVE (default 20) routes served a few requests; the other routes stay idle.
//
// FLEET=redis://127.0.0.1:6379 samples as a replica of a fleet does (`state.store: redis`): every
// target's interval flushed to that Redis and the fleet's sum read back (keys under a prefix of
// their own, expiring by themselves); use fewer SAMPLES, each is 2 × ROUTES round trips.
//
// Run from the repository root after `npm run build`:  node --expose-gc bench/routes/series-memory.mjs
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { createRecorder } from '../../dist/observe/metrics/recorder.js'
import { SeriesBook } from '../../dist/observe/series.js'
import { ManualClock } from '../../dist/util/clock.js'

const ROUTES = Number(process.env.ROUTES ?? 10_000)
const SAMPLES = Number(process.env.SAMPLES ?? 361)
const ACTIVE = Number(process.env.ACTIVE ?? 20)
const FLEET = process.env.FLEET

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc')
  process.exit(2)
}

function routeConfig(name) {
  return {
    name, match: { host: `${name}.example.com`, pathPrefix: `/api/${name}` },
    old: ['http://127.0.0.1:9'], new: ['http://127.0.0.1:9'], percentBp: 1000,
    sticky: [{ kind: 'header', name: 'x-user-id' }], assignCookie: undefined, groups: [], optIn: false,
    rollout: undefined, goals: [], timeouts: { connectMs: 5000, headerMs: 60_000, idleMs: 60_000 },
    exposeBackendHeader: false,
  }
}

function outcome(name, side, status, durationMs) {
  return {
    kind: 'route', name, side, reason: 'bucket', servedBy: side, status, error: undefined, fellBack: false, durationMs,
  }
}

/** Heap used plus ArrayBuffers (typed-array columns live outside the V8 heap), after a full GC. */
async function memory() {
  for (let i = 0; i < 3; i++) { globalThis.gc(); await nextTurn() }
  const m = process.memoryUsage()
  const mb = (bytes) => bytes / 2 ** 20
  return { heap: mb(m.heapUsed), buffers: mb(m.arrayBuffers), total: mb(m.heapUsed + m.arrayBuffers) }
}

/**
 * Runs `work` while a chain of setImmediate callbacks notes the longest gap between two turns, in
 * wall time and in this process' CPU time (on a shared machine the wall time also counts the
 * stretches the process was not scheduled; the CPU time does not).
 */
async function longestTurn(work) {
  let longest = 0
  let longestCpu = 0
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  let running = true
  const ticker = (async () => {
    while (running) {
      await nextTurn()
      const now = performance.now()
      const cpu = process.cpuUsage(lastCpu)
      longest = Math.max(longest, now - last)
      longestCpu = Math.max(longestCpu, (cpu.user + cpu.system) / 1000)
      last = now
      lastCpu = process.cpuUsage()
    }
  })()
  const started = performance.now()
  await work()
  const wall = performance.now() - started
  running = false
  await ticker
  return { longest, longestCpu, wall }
}

const routes = Array.from({ length: ROUTES }, (_, i) => routeConfig(`svc${i}`))
const recorder = createRecorder()
recorder.setTargets(routes, [])
const clock = new ManualClock(Date.UTC(2026, 10, 26, 12, 0, 0))
const targets = { routes, queues: [] }
const snapshot = { targets: new Map(), members: new Map() }

const redis = FLEET === undefined
  ? undefined
  : new (await import('../../dist/state/redis/store.js')).RedisStateStore({
    url: FLEET, keyPrefix: `bench-series-${process.pid}`, name: 'bench',
  })
await redis?.load()
const before = await memory()
const book = new SeriesBook({
  recorder, targets: () => targets, snapshot: () => snapshot, clock, replica: 'bench',
  store: redis === undefined ? 'memory' : 'redis', fleet: redis?.fleet,
})
const turns = []
const cpuTurns = []
const walls = []
for (let s = 0; s <= SAMPLES; s++) {
  for (let a = 0; a < ACTIVE && s > 0; a++) {
    const name = `svc${a * Math.floor(ROUTES / ACTIVE)}`
    for (let k = 0; k < 5; k++) recorder.outcome(outcome(name, k % 2 ? 'new' : 'old', k === 4 ? 503 : 200, 5 + k * 20))
  }
  clock.advance(book.resolutionMs)
  const { longest, longestCpu, wall } = await longestTurn(() => book.sample())
  turns.push(longest)
  cpuTurns.push(longestCpu)
  walls.push(wall)
}
const after = await memory()
await redis?.close()
const points = book.json({ kind: 'route', name: 'svc1' }, 60, undefined).points.length
const activePoints = book.json({ kind: 'route', name: 'svc0' }, 60, undefined).points
if (process.env.DEBUG) console.log(turns.map((x, i) => [i, Math.round(x), Math.round(cpuTurns[i])]).filter(([, x]) => x > 20).join(' '))
const sorted = [...turns].sort((a, b) => a - b)
const fmt = (x) => x.toFixed(1)
const sortedCpu = [...cpuTurns].sort((a, b) => a - b)
console.log(`routes ${ROUTES}, samples ${SAMPLES + 1} (first a baseline), active routes ${ACTIVE}, ` +
  `${FLEET === undefined ? 'one process' : `fleet through ${FLEET}`}, node ${process.version}`)
console.log(`points per idle route ${points}, per active route ${activePoints.length} (last rps old ${activePoints.at(-1)?.old.rps})`)
const grown = after.total - before.total
console.log(`heap used + array buffers: before ${fmt(before.heap)} + ${fmt(before.buffers)} MB, ` +
  `after ${fmt(after.heap)} + ${fmt(after.buffers)} MB: the series ${fmt(grown)} MB (${Math.round(grown * 2 ** 20 / ROUTES)} bytes per route)`)
console.log(`longest event-loop turn per sample: max ${fmt(sorted.at(-1))} ms (the baseline reading ${fmt(turns[0])} ms), ` +
  `median ${fmt(sorted[sorted.length >> 1])} ms, 95th ${fmt(sorted[Math.floor(sorted.length * 0.95)])} ms; ` +
  `sample wall time median ${fmt([...walls].sort((a, b) => a - b)[walls.length >> 1])} ms`)
console.log(`the same turns in CPU time: max ${fmt(sortedCpu.at(-1))} ms (the baseline reading ${fmt(cpuTurns[0])} ms), ` +
  `median ${fmt(sortedCpu[sortedCpu.length >> 1])} ms, 95th ${fmt(sortedCpu[Math.floor(sortedCpu.length * 0.95)])} ms; ` +
  `load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
