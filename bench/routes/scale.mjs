#!/usr/bin/env node
// Many routes through one sluice: what ROUTES host routes (default 10,000) cost outside the request
// path. Promises at 10,000 routes: `sluice validate` and `sluice start` (until /readyz answers 200)
// under 3 s; memory (RSS after start) under 100 MB above a sluice with one route; no event-loop
// block (a data-plane stall) over 50 ms on a reload or a live percent change.
//
// Run from the repository root after `npm run build`:  node bench/routes/scale.mjs
// Knobs (env): ROUTES (10000), ROUNDS (3; times are medians, blocks the worst round), LIMIT_MS (50),
// STATE_FILE (1: the config has a state.file, as examples/sluice.yaml; 0: memory only), SERIES_MS
// (the dashboard series' sampling interval in the in-process app; default sluice's 10 s: a large value
// keeps its periodic sample, a few ms per 5 ms slice at 10,000 routes, out of the reload rows).
// Uses only node and the built dist/. Exit code 1 when a promise is not held.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../../dist/util/free-port.js'
import { maxBlockDuring, startAppFromFile } from '../macro/lib.mjs'

const ROUTES = Number(process.env.ROUTES ?? 10_000)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const LIMIT_MS = Number(process.env.LIMIT_MS ?? 50)
const STATE_FILE = process.env.STATE_FILE !== '0'
const SERIES_MS = process.env.SERIES_MS === undefined ? undefined : Number(process.env.SERIES_MS)
const START_LIMIT_MS = 3000
const MEMORY_LIMIT_MB = 100
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/main.js')

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-routes-'))

/** The shape: one route per service, `match: { host: svcN.example.com, pathPrefix: /apiN }`. */
export function routesYaml(count, { percent = () => 10 } = {}) {
  let s = 'routes:\n'
  for (let i = 0; i < count; i++) {
    s += `  - name: svc${i}\n    match: { host: svc${i}.example.com, pathPrefix: /api${i} }\n` +
      `    old: http://127.0.0.1:9\n    new: http://127.0.0.1:9\n    percent: ${percent(i)}\n    sticky: [header:x-user-id]\n`
  }
  return s
}

function configText(count, { dataPort = 0, adminPort = 0, stateFile, percent } = {}) {
  return `listen: 127.0.0.1:${dataPort}\nadmin: { listen: 127.0.0.1:${adminPort} }\nlog: { level: warn }\n` +
    (stateFile ? `state: { store: memory, file: ${stateFile} }\n` : '') + routesYaml(count, { percent })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

/** Wall time of `sluice validate` in a fresh process. */
function timeValidate(path) {
  const t0 = performance.now()
  const r = spawnSync(process.execPath, [MAIN, 'validate', '--config', path], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`validate failed: ${r.stderr || r.stdout}`)
  return performance.now() - t0
}

/** Spawn `sluice start`, time it until /readyz answers 200, read its RSS, stop it. */
async function timeStart(count, label) {
  const [dataPort, adminPort] = [await freePort(), await freePort()]
  const path = join(dir, `start-${label}.yaml`)
  const stateFile = STATE_FILE ? join(dir, `state-${label}-${Math.random().toString(36).slice(2)}.json`) : undefined
  writeFileSync(path, configText(count, { dataPort, adminPort, stateFile }))
  const t0 = performance.now()
  const child = spawn(process.execPath, [MAIN, 'start', '--config', path], { stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sluice start (${label}) exited with ${child.exitCode}`)
      const ok = await fetch(`http://127.0.0.1:${adminPort}/readyz`).then((r) => r.ok, () => false)
      if (ok) break
      await new Promise((r) => setTimeout(r, 10))
    }
    const startMs = performance.now() - t0
    // Settle: the start's garbage is collected when the process idles; RSS is what stays.
    await new Promise((r) => setTimeout(r, 1000))
    const rssMb = Number(readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024
    return { startMs, rssMb }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

/** In this process: start with ROUTES routes, then reload and change percents, timing the blocks. */
async function reloads() {
  const path = join(dir, 'reload.yaml')
  const stateFile = STATE_FILE ? join(dir, 'state-reload.json') : undefined
  writeFileSync(path, configText(ROUTES, { stateFile }))
  const app = await startAppFromFile(path, SERIES_MS === undefined ? {} : { seriesResolutionMs: SERIES_MS })
  const idle = await maxBlockDuring(() => new Promise((r) => setTimeout(r, 1000)))
  const rows = []
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const unchanged = await maxBlockDuring(() => app.reload('poll'))
      // One route's percent edited in the file: the whole file is parsed and every route recompiled.
      writeFileSync(path, configText(ROUTES, { stateFile, percent: (i) => (i === 0 ? round : 10) }))
      const one = await maxBlockDuring(() => app.reload('SIGHUP'))
      // Every route's percent edited: ROUTES live-state changes in one reload.
      writeFileSync(path, configText(ROUTES, { stateFile, percent: () => 10 + round }))
      const all = await maxBlockDuring(() => app.reload('SIGHUP'))
      const live = await maxBlockDuring(() => app.commands.setPercent({ kind: 'route', name: `svc${ROUTES - 1}` }, 2000 + round, { actor: 'api' }))
      if (!unchanged.result || !one.result || !all.result) throw new Error(`round ${round}: a reload was refused`)
      rows.push({ round, unchanged, one, all, live })
    }
  } finally {
    await app.shutdown('bench')
  }
  return { idle, rows }
}

const smallPath = join(dir, 'validate-1.yaml')
const bigPath = join(dir, `validate-${ROUTES}.yaml`)
writeFileSync(smallPath, configText(1))
writeFileSync(bigPath, configText(ROUTES))
const load0 = loadavg()
const validate = { small: [], big: [] }
const start = { small: [], big: [] }
try {
  for (let round = 0; round < ROUNDS; round++) {
    validate.small.push(timeValidate(smallPath))
    validate.big.push(timeValidate(bigPath))
    start.small.push(await timeStart(1, `1-${round}`))
    start.big.push(await timeStart(ROUTES, `${ROUTES}-${round}`))
  }
  const { idle, rows } = await reloads()
  const load1 = loadavg()

  const n = ROUTES.toLocaleString('en-US')
  const fmt = (ms) => `${ms.toFixed(0).padStart(6)} ms`
  const bigStart = median(start.big.map((s) => s.startMs))
  const rssDelta = median(start.big.map((s) => s.rssMb)) - median(start.small.map((s) => s.rssMb))
  console.log(`sluice with ${n} host routes · ${ROUNDS} rounds · state file ${STATE_FILE ? 'on' : 'off'} · node ${process.version}`)
  console.log(`load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}\n`)
  console.log(`                          1 route    ${n} routes   (median of ${ROUNDS})`)
  console.log(`sluice validate         ${fmt(median(validate.small))}   ${fmt(median(validate.big))}`)
  console.log(`sluice start → ready    ${fmt(median(start.small.map((s) => s.startMs)))}   ${fmt(bigStart)}`)
  console.log(`RSS after start         ${median(start.small.map((s) => s.rssMb)).toFixed(0).padStart(6)} MB   ${median(start.big.map((s) => s.rssMb)).toFixed(0).padStart(6)} MB   (+${rssDelta.toFixed(0)} MB)\n`)
  console.log(`event-loop blocks (a data-plane stall) at ${n} routes; idle floor ${idle.blockMs.toFixed(1)} ms`)
  console.log('round   reload unchanged    reload, 1 percent edited   reload, all percents edited   live percent change')
  const cell = (x) => `${x.blockMs.toFixed(1).padStart(6)} ms / ${x.elapsedMs.toFixed(0).padStart(5)} ms`
  for (const r of rows) console.log(`${String(r.round).padStart(5)}   ${cell(r.unchanged)}   ${cell(r.one)}     ${cell(r.all)}        ${cell(r.live)}`)
  console.log('(longest block / elapsed)\n')
  const worstBlock = Math.max(...rows.flatMap((r) => [r.unchanged, r.one, r.all, r.live].map((x) => x.blockMs)))
  const verdicts = [
    ['validate', median(validate.big) <= START_LIMIT_MS, `${median(validate.big).toFixed(0)} ms ≤ ${START_LIMIT_MS} ms`],
    ['start', bigStart <= START_LIMIT_MS, `${bigStart.toFixed(0)} ms ≤ ${START_LIMIT_MS} ms`],
    ['memory', rssDelta <= MEMORY_LIMIT_MB, `+${rssDelta.toFixed(0)} MB ≤ ${MEMORY_LIMIT_MB} MB`],
    ['stall', worstBlock <= LIMIT_MS, `${worstBlock.toFixed(1)} ms ≤ ${LIMIT_MS} ms`],
  ]
  for (const [name, ok, text] of verdicts) console.log(`${name.padEnd(9)} ${text}: ${ok ? 'held' : 'NOT held'}`)
  process.exitCode = verdicts.every(([, ok]) => ok) ? 0 : 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
