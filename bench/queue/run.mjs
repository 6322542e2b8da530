#!/usr/bin/env node
// Queue benchmark: jobs per second through a sluice queue router with at-least-once on
// (taken with LMOVE into the processing list, acknowledged with LREM only after the sink confirmed).
// Scenarios: redis-list → redis-list (30 % to new, both lists) and redis-list → bullmq (100 % to a
// real BullMQ queue). JOBS jobs are pre-loaded, then the drain is timed until every job is in a sink
// and the source (queue and processing list) is empty.
//
// Run from the repository root after `npm run build`:  node bench/queue/run.mjs
// Knobs (env): JOBS (100000), ROUNDS (3; the median is reported), CONCURRENCY (router in-flight
// bound, default the product default), SCENARIOS (list-list,list-bullmq), BODY_BYTES (100).
// Uses only node, the built dist/ and ioredis/bullmq from the root node_modules. It starts its own
// redis-server on a free port with no persistence, so the figures measure sluice, not the disk.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { DEFAULT_CONCURRENCY, QueueDataPlane } from '../../dist/dataplane/queue/index.js'
import { createOutcomeBus } from '../../dist/observe/events.js'
import { createLogger } from '../../dist/observe/log.js'
import { buildViews } from '../../dist/state/views.js'

const JOBS = Number(process.env.JOBS ?? 100_000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const CONCURRENCY = Number(process.env.CONCURRENCY ?? DEFAULT_CONCURRENCY)
const BODY_BYTES = Number(process.env.BODY_BYTES ?? 100)
const SCENARIOS = (process.env.SCENARIOS ?? 'list-list,list-bullmq').split(',')
const TARGET_LIST_LIST = 20_000
/** Poll interval of the drain check: small against a multi-second drain (≤ 1 % error at 20k jobs/s over 5 s). */
const POLL_MS = 20

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function startRedis() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('redis-server is not installed (apt-get install redis-server)')
  }
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-redis-'))
  const port = await freePort()
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--protected-mode', 'no', '--loglevel', 'warning'], { stdio: 'ignore' })
  const url = `redis://127.0.0.1:${port}`
  const probe = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null })
  probe.on('error', () => {})
  await probe.ping()
  return { url, port, probe, stop: () => { probe.disconnect(); proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }) } }
}

function bodies(n) {
  const pad = 'x'.repeat(Math.max(0, BODY_BYTES - 60))
  return Array.from({ length: n }, (_, i) => JSON.stringify({ id: `j${i}`, tenantId: `t${i % 1000}`, pad }))
}

async function preload(redis, key, all) {
  const CHUNK = 5_000
  for (let i = 0; i < all.length; i += CHUNK) await redis.lpush(key, ...all.slice(i, i + CHUNK))
}

const SCENARIO = {
  'list-list': (url, r) => ({
    queue: {
      name: 'bench', percentBp: 3_000, sticky: [{ kind: 'json', field: 'tenantId' }], groups: [], rollout: undefined,
      source: { type: 'redis-list', url, key: `in:${r}` },
      old: { type: 'redis-list', url, key: `old:${r}` },
      new: { type: 'redis-list', url, key: `new:${r}` },
    },
    arrived: async (redis) => (await redis.llen(`old:${r}`)) + (await redis.llen(`new:${r}`)),
  }),
  'list-bullmq': (url, r) => ({
    queue: {
      name: 'bench', percentBp: 10_000, sticky: [{ kind: 'json', field: 'tenantId' }], groups: [], rollout: undefined,
      source: { type: 'redis-list', url, key: `in:${r}` },
      old: { type: 'redis-list', url, key: `old:${r}` },
      new: { type: 'bullmq', url, queue: `bench-${r}`, prefix: 'bull', jobName: 'job' },
    },
    arrived: async (redis) => (await redis.llen(`old:${r}`)) + (await redis.llen(`bull:bench-${r}:wait`)),
  }),
}

async function runOnce(redisInfo, name, round, all) {
  const { probe, url } = redisInfo
  const s = SCENARIO[name](url, `${name}-${round}`)
  await preload(probe, s.queue.source.key, all)
  let routed = 0
  let failed = 0
  const bus = createOutcomeBus()
  bus.subscribe((o) => { if (o.status === 200) routed++; else failed++ })
  const plane = new QueueDataPlane({ bus, logger: createLogger({ level: 'warn' }), concurrency: CONCURRENCY })
  const views = buildViews([], [s.queue], { targets: new Map(), members: new Map() }).queues
  const started = performance.now()
  await plane.setQueues([s.queue], views)
  const src = s.queue.source.key
  while ((await s.arrived(probe)) < JOBS || (await probe.llen(src)) + (await probe.llen(`${src}:processing`)) > 0) {
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  const seconds = (performance.now() - started) / 1000
  await plane.close(5_000)
  const arrived = await s.arrived(probe)
  await probe.flushall()
  return { seconds, jobsPerSec: JOBS / seconds, routed, failed, arrived }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main() {
  const redis = await startRedis()
  const all = bodies(JOBS)
  console.log(`sluice queue bench: ${JOBS} jobs of ~${BODY_BYTES} B, ${ROUNDS} round(s), in-flight bound ${CONCURRENCY}, ` +
    `${cpus().length} CPU(s), load ${loadavg()[0].toFixed(2)}, node ${process.version}`)
  const results = {}
  try {
    for (const name of SCENARIOS) {
      const runs = []
      for (let round = 0; round < ROUNDS; round++) {
        const r = await runOnce(redis, name, round, all)
        runs.push(r)
        console.log(`  ${name.padEnd(12)} round ${round + 1}: ${r.seconds.toFixed(2)} s, ${Math.round(r.jobsPerSec)} jobs/s ` +
          `(in sinks: ${r.arrived}, outcomes: ${r.routed} routed, ${r.failed} failed)`)
      }
      results[name] = Math.round(median(runs.map((r) => r.jobsPerSec)))
    }
  } finally {
    redis.stop()
  }
  console.log('\nscenario       jobs/s (median)')
  for (const [name, jps] of Object.entries(results)) console.log(`${name.padEnd(14)} ${String(jps).padStart(8)}`)
  if (results['list-list'] !== undefined) {
    const ok = results['list-list'] >= TARGET_LIST_LIST
    console.log(`\nlist → list target ${TARGET_LIST_LIST} jobs/s: ${ok ? 'met' : 'NOT met'}`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
