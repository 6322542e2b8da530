// Re-simulates README "Automatic rollouts": rollouts driven through the real pure core in dist/
// (core/analysis observe → core/rollout step), with binomial error counts per window.
//
//   npm run build && node bench/analysis/simulate.mjs          # RUNS=2000 SEED=1 by default
//
// Each row prints: rolled back (share of runs), promoted to 100 % (share), median window of the
// rollback. A window is one minute; "8 h" is 480 windows.
import { observe } from '../../dist/core/analysis.js'
import { step } from '../../dist/core/rollout.js'
import { seededRandom } from '../../dist/util/random.js'

const RUNS = Number(process.env.RUNS ?? 2000)
const SEED = Number(process.env.SEED ?? 1)
const W = 60_000

const analysis = (over) => ({
  windowMs: W, minRequests: 100, failureLimit: 2, alpha: 0.05,
  maxErrorRate: undefined, maxP99Ms: undefined, maxErrorRateVsOld: 1, maxP99VsOld: undefined, ...over,
})
const ramp = (stepsPct, a, intervalWindows = 10) => ({
  stepsBp: stepsPct.map((p) => p * 100), intervalMs: intervalWindows * W, schedule: undefined, analysis: a,
})
const held = (policy, pct) => ({ percentBp: pct * 100, state: 'paused', step: policy.stepsBp.indexOf(pct * 100), stepSince: 0 })

/** Rows: [label, scenario]. perWindow: total requests a window (a number, or [min, max] drawn uniformly). */
function scenarios() {
  const rows = []
  const add = (label, sc) => rows.push([label, sc])
  const full = (a) => ramp([10, 25, 50, 100], a)
  add('2× errors, old 0.1 %, 10 % share, 10k requests/window, full ramp (ρ = 1)',
    { policy: full(analysis()), perWindow: 10_000, p0: 0.001, p1: 0.002, windows: 480 })
  add('3× errors, same, ρ = 2',
    { policy: full(analysis({ maxErrorRateVsOld: 2 })), perWindow: 10_000, p0: 0.001, p1: 0.003, windows: 480 })
  add('2× errors, old 1 %, 5 % share (≈ 500 new requests/window), ρ = 1',
    { policy: ramp([5, 10, 25, 50, 100], analysis()), perWindow: 10_000, p0: 0.01, p1: 0.02, windows: 480 })
  {
    const p = ramp([50, 100], analysis({ maxErrorRate: 0.05 }))
    add('low traffic (10–50 new requests/window), new 50 % errors',
      { policy: p, perWindow: [20, 100], p0: 0.01, p1: 0.5, windows: 480, start: held(p, 50) })
  }
  {
    const p = ramp([10, 25, 50, 100], analysis())
    add('healthy, paused for 8 h at 10 %, ρ = 1, 1 % errors', { policy: p, perWindow: 10_000, p0: 0.01, p1: 0.01, windows: 480, start: held(p, 10) })
    const q = ramp([10, 25, 50, 100], analysis({ maxErrorRateVsOld: 2, maxErrorRate: 0.02 }))
    add('at its limits (2 × old, ρ = 2; 2 %, maxErrorRate 2 %), paused 8 h at 10 %', { policy: q, perWindow: 10_000, p0: 0.01, p1: 0.02, windows: 480, start: held(q, 10) })
  }
  add('healthy, full ramp, ρ = 1, 1 % errors', { policy: full(analysis()), perWindow: 10_000, p0: 0.01, p1: 0.01, windows: 480 })
  add('healthy at 10 % and 25 %, then 3× errors from the 50 % step (old 1 %, ρ = 1)',
    { policy: full(analysis()), perWindow: 10_000, p0: 0.01, p1: 0.01, p1From: [5000, 0.03], windows: 480 })
  add('new side: 20 % of requests hang until the client gives up (errors), 10 % share, old 0.1 %',
    { policy: full(analysis({ maxErrorRate: 0.05 })), perWindow: 10_000, p0: 0.001, p1: 0.201, windows: 480 })
  return rows
}

function simulate(sc, random) {
  let live = sc.start ?? { percentBp: 0, state: 'progressing', step: -1 }
  live = next(sc.policy, live, 0, undefined)
  for (let w = 1; w <= sc.windows; w++) {
    const total = Array.isArray(sc.perWindow)
      ? sc.perWindow[0] + Math.floor(random() * (sc.perWindow[1] - sc.perWindow[0] + 1))
      : sc.perWindow
    const n1 = binomial(random, total, live.percentBp / 10_000)
    const n0 = total - n1
    // p1From: [percentBp, rate]: the new side's error rate from that percent on (a load-dependent regression).
    const p1 = sc.p1From && live.percentBp >= sc.p1From[0] ? sc.p1From[1] : sc.p1
    const win = observe(sc.policy.analysis, side(n0, binomial(random, n0, sc.p0)), side(n1, binomial(random, n1, p1)))
    const before = live.state
    live = next(sc.policy, live, w * W, win)
    if (live.state === 'rolled_back' && before !== 'rolled_back') return { rolledBack: true, at: w }
    if (live.state === 'completed') return { completed: true }
  }
  return {}
}

function next(policy, live, now, window) {
  const r = step(policy, live, { type: 'tick', now, windowOpen: true, window })
  if (!r.ok) throw new Error(r.message)
  return r.next
}

function side(requests, errors) {
  return { requests, errors, timed: requests, p99Ms: undefined, slowerThan: () => 0 }
}

/** Bin(n, p): inversion for small means, a rounded normal above. */
function binomial(random, n, p) {
  if (n <= 0 || p <= 0) return 0
  if (p >= 1) return n
  const mean = n * p
  if (mean < 40) {
    let k = 0
    let pmf = (1 - p) ** n
    let cdf = pmf
    const u = random()
    while (u > cdf && k < n) { pmf *= ((n - k) / (k + 1)) * (p / (1 - p)); k++; cdf += pmf }
    return k
  }
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  return Math.min(n, Math.max(0, Math.round(mean + z * Math.sqrt(mean * (1 - p)))))
}

const pct = (x) => `${(x * 100).toFixed(1)} %`
console.log(`| scenario | rolled back | promoted to 100 % | median window of rollback |  (${RUNS} runs each, seed ${SEED})`)
console.log('|---|---|---|---|')
const random = seededRandom(SEED)
for (const [label, sc] of scenarios()) {
  let rolled = 0
  let promoted = 0
  const at = []
  for (let i = 0; i < RUNS; i++) {
    const o = simulate(sc, random)
    if (o.rolledBack) { rolled++; at.push(o.at) }
    if (o.completed) promoted++
  }
  at.sort((a, b) => a - b)
  console.log(`| ${label} | ${pct(rolled / RUNS)} | ${pct(promoted / RUNS)} | ${at.length ? at[Math.floor(at.length / 2)] : '–'} |`)
}
