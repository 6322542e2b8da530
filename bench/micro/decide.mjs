// Micro benchmarks of the per-request decision, as the data plane makes it, against the built dist/:
//   route match (dataplane/http/route-table.js findRoute), key read (core/sticky.js readKey),
//   decide (core/decide.js with a view from state/views.js buildViews) and the hash alone.
// Each case: warm-up, then N iterations timed with process.hrtime.bigint(); 5 repetitions, median
// ns/op. Every result feeds a checksum, printed at the end, so V8 cannot drop the work.
// Env: N [2000000], REPS [5]. Target: the whole decision (match + key + groups + bucket) ≤ 1 µs.
import { existsSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist')
if (!existsSync(join(DIST, 'core/decide.js'))) {
  console.error(`${DIST}/core/decide.js is missing: build first (npm run build at the repo root)`)
  process.exit(1)
}
const load = (p) => import(pathToFileURL(join(DIST, p)).href)
const { readKey } = await load('core/sticky.js')
const { decide } = await load('core/decide.js')
const { splitHash } = await load('core/bucket.js')
const { buildViews } = await load('state/views.js')
// An empty live snapshot, as the data plane gets it from a fresh memory store (no live edits).
const { MemoryStateStore } = await load('state/memory.js')
const emptyLive = () => new MemoryStateStore().snapshot()
let routeTable
if (existsSync(join(DIST, 'dataplane/http/route-table.js'))) {
  const m = await load('dataplane/http/route-table.js')
  if (typeof m.findRoute === 'function' && typeof m.compileRoutes === 'function') routeTable = m
}

const N = Number(process.env.N ?? 2_000_000)
const REPS = Number(process.env.REPS ?? 5)

// ------------------------------------------------------------------ fixtures

const KEYS = 4096 // a power of two: i & (KEYS - 1) picks one
const ids = Array.from({ length: KEYS }, () => randomUUID())

/** What node:http gives the data plane: lower-cased header names, string values. */
const headerObjects = ids.map((id) => ({
  host: 'shop.example.com',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  accept: 'application/json',
  'accept-encoding': 'gzip, deflate, br',
  'accept-language': 'en-US,en;q=0.9',
  cookie: 'theme=dark; _ga=GA1.2.123456789.1700000000',
  'x-request-id': '5f0c6f5e-8d1b-4c1e-9a4e-0c2b1f1d2e3f',
  'x-user-id': id,
}))

/** The data plane's ProxyContext reads headers/url/ip through getters on the request: so do we. */
class Input {
  constructor(req) { this.req = req }
  get headers() { return this.req.headers }
  get url() { return this.req.url }
  get ip() { return this.req.socket.remoteAddress }
  read() { return undefined }
}
const inputs = headerObjects.map((headers, i) => new Input({ headers, url: `/api/cart/${i}?x=1`, socket: { remoteAddress: '127.0.0.1' } }))

const timeouts = { connectMs: 2000, headerMs: 30000, idleMs: 60000 }
function routeConfig(name, { host, pathPrefix = '/', groups = [] } = {}) {
  return {
    name,
    match: { host, pathPrefix },
    old: ['http://127.0.0.1:3001'],
    new: ['http://127.0.0.1:3002'],
    percentBp: 1000,
    sticky: [{ kind: 'header', name: 'x-user-id' }],
    assignCookie: undefined,
    groups,
    optIn: false,
    rollout: undefined,
    timeouts,
    exposeBackendHeader: false,
  }
}
const members = Array.from({ length: 1000 }, (_, i) => `member-${i}`)
const group = { name: 'beta', backend: 'new', key: undefined, users: members, usersFile: undefined }
const configs = [routeConfig('plain'), routeConfig('grouped', { groups: [group] })]
const views = buildViews(configs, [], emptyLive()).routes
const plainView = views.get('plain')
const groupedView = views.get('grouped')
const sources = plainView.keySources
const rand = Math.random

// Ten routes with hosts and prefixes; the request matches the last one (the slow case of first-match).
let table10, table1
if (routeTable) {
  const ten = []
  for (let i = 0; i < 9; i++) ten.push(routeConfig(`r${i}`, { host: `svc${i}.example.com`, pathPrefix: `/p${i}` }))
  ten.push(routeConfig('grouped', { host: 'shop.example.com', pathPrefix: '/api', groups: [group] }))
  const v10 = buildViews(ten, [], emptyLive()).routes
  table10 = routeTable.compileRoutes(ten, v10, new Map(ten.map((r) => [r.name, {}])))
  table1 = routeTable.compileRoutes([configs[0]], views, new Map([['plain', {}]]))
}

// ------------------------------------------------------------------ cases
// One function per case, each with its own loop, so every call site stays monomorphic.

const M = KEYS - 1
const cases = [
  ['splitHash(name, 36-char key)', (n) => {
    let s = 0
    for (let i = 0; i < n; i++) s = (s + splitHash('bench', ids[i & M])) | 0
    return s
  }],
  ['readKey: header from a request', (n) => {
    let s = 0
    for (let i = 0; i < n; i++) s += readKey(sources, inputs[i & M]).length
    return s
  }],
  ['decide, no groups', (n) => {
    let s = 0
    for (let i = 0; i < n; i++) s += decide(plainView, ids[i & M], undefined, rand, undefined).side === 'new' ? 1 : 0
    return s
  }],
  ['decide, 1,000-member group (miss)', (n) => {
    let s = 0
    for (let i = 0; i < n; i++) s += decide(groupedView, ids[i & M], undefined, rand, undefined).side === 'new' ? 1 : 0
    return s
  }],
  ['decide, 1,000-member group (hit)', (n) => {
    let s = 0
    for (let i = 0; i < n; i++) s += decide(groupedView, members[i % 1000], undefined, rand, undefined).side === 'new' ? 1 : 0
    return s
  }],
  ['decide, no key (random)', (n) => {
    let s = 0
    for (let i = 0; i < n; i++) s += decide(plainView, undefined, undefined, rand, undefined).side === 'new' ? 1 : 0
    return s
  }],
  ['key + decide (no groups)', (n) => {
    let s = 0
    for (let i = 0; i < n; i++) {
      const input = inputs[i & M]
      s += decide(plainView, readKey(sources, input), undefined, rand, input).side === 'new' ? 1 : 0
    }
    return s
  }],
]
if (routeTable) {
  const { findRoute } = routeTable
  cases.push(
    ['findRoute, 1 route (/)', (n) => {
      let s = 0
      for (let i = 0; i < n; i++) { const inp = inputs[i & M]; s += findRoute(table1, inp.headers.host, inp.url).name.length }
      return s
    }],
    ['findRoute, 10 host routes (last)', (n) => {
      let s = 0
      for (let i = 0; i < n; i++) { const inp = inputs[i & M]; s += findRoute(table10, inp.headers.host, inp.url).name.length }
      return s
    }],
    ['full: match(10) + key + decide(1,000 group)', (n) => {
      let s = 0
      for (let i = 0; i < n; i++) {
        const input = inputs[i & M]
        const route = findRoute(table10, input.headers.host, input.url)
        const key = readKey(route.keySources, input)
        s += decide(route.view, key, undefined, rand, input).side === 'new' ? 1 : 0
      }
      return s
    }],
  )
}

// ------------------------------------------------------------------ runner

let checksum = 0
const results = []
console.log(`sluice micro bench: N=${N.toLocaleString('en-US')} iterations × ${REPS}, median ns/op · node ${process.version}\n`)
for (const [name, fn] of cases) {
  checksum = (checksum + fn(Math.min(N, 200_000))) | 0 // warm-up: let the optimising compiler settle
  const ns = []
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint()
    const s = fn(N)
    const t1 = process.hrtime.bigint()
    checksum = (checksum + s) | 0
    ns.push(Number(t1 - t0) / N)
  }
  ns.sort((a, b) => a - b)
  const med = ns[ns.length >> 1]
  results.push({ name, nsPerOp: med, min: ns[0], max: ns[ns.length - 1] })
  console.log(`  ${name.padEnd(44)} ${med.toFixed(1).padStart(8)} ns/op   (min ${ns[0].toFixed(1)}, max ${ns[ns.length - 1].toFixed(1)})`)
}
if (!routeTable) console.log('\n  (route matching skipped: dist/dataplane/http/route-table.js has no findRoute/compileRoutes)')
const full = results.find((r) => r.name.startsWith('full')) ?? results.find((r) => r.name.startsWith('key + decide'))
console.log(`\n${full.name}: ${full.nsPerOp.toFixed(0)} ns (target ≤ 1,000 ns: ${full.nsPerOp <= 1000 ? 'met' : 'NOT met'}) · checksum ${checksum}`)
