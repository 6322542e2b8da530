// Micro benchmarks of the per-request decision, as the data plane makes it, against the built dist/:
//   route match (dataplane/http/route-table.js findRoute), key read (core/sticky.js readKey),
//   decide (core/decide.js with a view from state/views.js buildViews) and the hash alone.
// Each case: warm-up, then N iterations timed with process.hrtime.bigint(); 5 repetitions, median
// ns/op. Every result feeds a checksum, printed at the end, so V8 cannot drop the work.
// Route match at 10, 1,000 and 10,000 host routes, next to the linear scan it replaced.
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
    goals: [],
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

// N host routes (10, 1,000, 10,000); the request matches the last one (the slow case of first-match).
const ROUTE_COUNTS = [10, 1_000, 10_000]
const tables = new Map()
let table1
if (routeTable) {
  for (const count of ROUTE_COUNTS) {
    const list = []
    for (let i = 0; i < count - 1; i++) list.push(routeConfig(`r${i}`, { host: `svc${i}.example.com`, pathPrefix: `/p${i}` }))
    list.push(routeConfig('grouped', { host: 'shop.example.com', pathPrefix: '/api', groups: [group] }))
    const v = buildViews(list, [], emptyLive()).routes
    tables.set(count, { list, table: routeTable.compileRoutes(list, v, new Map(list.map((r) => [r.name, {}]))) })
  }
  table1 = routeTable.compileRoutes([configs[0]], views, new Map([['plain', {}]]))
}
const table10 = tables.get(10)?.table

/** The lookup before the index (routes tried one by one in file order), as a reference in the same run. */
function linearFind(list, hostHeader, url) {
  const end = hostHeader.charCodeAt(0) === 0x5b ? hostHeader.indexOf(']') + 1 : hostHeader.indexOf(':')
  const host = (end > 0 ? hostHeader.slice(0, end) : hostHeader).toLowerCase()
  for (let i = 0; i < list.length; i++) {
    const r = list[i]
    if (r.match.host !== undefined && r.match.host !== host) continue
    const prefix = r.match.pathPrefix
    if (!url.startsWith(prefix)) continue
    if (url.length === prefix.length || prefix.charCodeAt(prefix.length - 1) === 0x2f) return r
    const next = url.charCodeAt(prefix.length)
    if (next === 0x2f || next === 0x3f) return r
  }
  return undefined
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
      for (let i = 0; i < n; i++) {
        const inp = inputs[i & M]
        s += findRoute(table1, inp.headers.host, inp.url).name.length
      }
      return s
    }],
    ...ROUTE_COUNTS.map((count) => [`findRoute, ${count.toLocaleString('en-US')} host routes (last)`, (n) => {
      const { table } = tables.get(count)
      let s = 0
      for (let i = 0; i < n; i++) {
        const inp = inputs[i & M]
        s += findRoute(table, inp.headers.host, inp.url).name.length
      }
      return s
    }]),
    // 10,000 routes tried one by one take ~1,000× longer: that case runs N/1,000 times.
    ...[[10, 1], [10_000, 1_000]].map(([count, divisor]) => [`  before: linear scan, ${count.toLocaleString('en-US')} routes`, (n) => {
      const { list } = tables.get(count)
      let s = 0
      for (let i = 0; i < n; i++) {
        const inp = inputs[i & M]
        s += linearFind(list, inp.headers.host, inp.url).name.length
      }
      return s
    }, divisor]),
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
for (const [name, fn, divisor = 1] of cases) {
  const n = Math.max(1, Math.round(N / divisor))
  checksum = (checksum + fn(Math.min(n, 200_000))) | 0 // warm-up: let the optimising compiler settle
  const ns = []
  for (let r = 0; r < REPS; r++) {
    const t0 = process.hrtime.bigint()
    const s = fn(n)
    const t1 = process.hrtime.bigint()
    checksum = (checksum + s) | 0
    ns.push(Number(t1 - t0) / n)
  }
  ns.sort((a, b) => a - b)
  const med = ns[ns.length >> 1]
  results.push({ name, nsPerOp: med, min: ns[0], max: ns[ns.length - 1] })
  console.log(`  ${name.padEnd(44)} ${med.toFixed(1).padStart(8)} ns/op   (min ${ns[0].toFixed(1)}, max ${ns[ns.length - 1].toFixed(1)})`)
}
if (!routeTable) console.log('\n  (route matching skipped: dist/dataplane/http/route-table.js has no findRoute/compileRoutes)')
const full = results.find((r) => r.name.startsWith('full')) ?? results.find((r) => r.name.startsWith('key + decide'))
console.log(`\n${full.name}: ${full.nsPerOp.toFixed(0)} ns (target ≤ 1,000 ns: ${full.nsPerOp <= 1000 ? 'met' : 'NOT met'}) · checksum ${checksum}`)
