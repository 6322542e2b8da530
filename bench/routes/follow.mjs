#!/usr/bin/env node
// Many routes with several replicas: two `sluice start` processes share one private redis-server
// (`state.store: redis`) and ROUTES host routes (10,000); the first one's file edits every percent
// and it reloads (SIGHUP). Reported per round: how long until the second one serves the last
// route's new percent, and each process' longest event-loop block meanwhile (prom-client's
// nodejs_eventloop_lag_max_seconds, 10 ms resolution, reset at every scrape).
//
// Run from the repository root after `npm run build`:  node bench/routes/follow.mjs
// Knobs (env): ROUTES (10000), ROUNDS (3). Needs redis-server on the PATH.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../../dist/util/free-port.js'

const ROUTES = Number(process.env.ROUTES ?? 10_000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/main.js')
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-follow-'))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** The shape of scale.mjs: one route per service, `match: { host: svcN.example.com, pathPrefix: /apiN }`. */
function routesYaml(count, percent) {
  let s = 'routes:\n'
  for (let i = 0; i < count; i++) {
    s += `  - name: svc${i}\n    match: { host: svc${i}.example.com, pathPrefix: /api${i} }\n` +
      `    old: http://127.0.0.1:9\n    new: http://127.0.0.1:9\n    percent: ${percent}\n    sticky: [header:x-user-id]\n`
  }
  return s
}

const redisPort = await freePort()
const redis = spawn('redis-server', [
  '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
], { stdio: 'ignore' })
const keyPrefix = `bench-follow-${process.pid}`

function configText(dataPort, adminPort, percent) {
  return `listen: 127.0.0.1:${dataPort}\nadmin: { listen: 127.0.0.1:${adminPort} }\nlog: { level: warn }\n` +
    `state: { store: redis, redis: redis://127.0.0.1:${redisPort}, keyPrefix: ${keyPrefix} }\n` +
    routesYaml(ROUTES, percent)
}

const replicas = []
async function startReplica(name, percent) {
  const [dataPort, adminPort] = [await freePort(), await freePort()]
  const path = join(dir, `${name}.yaml`)
  writeFileSync(path, configText(dataPort, adminPort, percent))
  const child = spawn(process.execPath, [MAIN, 'start', '--config', path], { stdio: ['ignore', 'ignore', 'inherit'] })
  const r = { child, path, dataPort, adminPort, admin: `http://127.0.0.1:${adminPort}` }
  replicas.push(r)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`replica ${name} exited with ${child.exitCode}`)
    if (await fetch(`${r.admin}/readyz`).then((res) => res.ok, () => false)) return r
    await sleep(50)
  }
}

async function lagMaxMs(admin) {
  const text = await (await fetch(`${admin}/metrics`)).text()
  return Number(text.match(/^nodejs_eventloop_lag_max_seconds (\S+)/m)[1]) * 1000
}

try {
  await sleep(300)
  const leader = await startReplica('a', 10)
  const follower = await startReplica('b', 10)
  await sleep(3000)
  console.log(`two replicas, ${ROUTES.toLocaleString('en-US')} host routes, one redis-server · node ${process.version}`)
  for (let round = 1; round <= ROUNDS; round++) {
    await Promise.all([lagMaxMs(leader.admin), lagMaxMs(follower.admin)]) // reset both
    writeFileSync(leader.path, configText(leader.dataPort, leader.adminPort, 10 + round))
    const t0 = performance.now()
    leader.child.kill('SIGHUP')
    let followedMs = Number.POSITIVE_INFINITY
    while (performance.now() - t0 < 120_000) {
      const route = await (await fetch(`${follower.admin}/api/routes/svc${ROUTES - 1}`)).json()
      if (route.percent === 10 + round) { followedMs = performance.now() - t0; break }
      await sleep(20)
    }
    const [l, f] = [await lagMaxMs(leader.admin), await lagMaxMs(follower.admin)]
    console.log(`round ${round}: the follower serves the new percent after ${followedMs.toFixed(0)} ms; ` +
      `longest block: reloading replica ${l.toFixed(1)} ms, follower ${f.toFixed(1)} ms`)
    await sleep(2000)
  }
} finally {
  for (const r of replicas) r.child.kill('SIGTERM')
  redis.kill()
  await sleep(200)
  rmSync(dir, { recursive: true, force: true })
}
