import { SIDES, type Side } from '../config/types.js'
import { DECISION_REASONS, ROLLOUT_STATES, type DecisionReason, type Kind, type RolloutState } from '../core/types.js'
import { UPSTREAM_ERROR_REASONS, type UpstreamErrorReason } from './events.js'

/** nginx's "client closed request": the client went away before a response was sent (status 0). */
const CLIENT_CLOSED_CODE = '499'

const ERROR_INDEX = indexOf(UPSTREAM_ERROR_REASONS)
const DECISION_INDEX = indexOf(DECISION_REASONS)

/**
 * One side of one route in plain numbers: what prom-client kept as 13 label children (about 220
 * bytes each) and a histogram child (about 1.1 KB) is a few typed arrays here. At 10,000 routes that
 * is the difference between ~100 MB and a few MB; the series are formatted only when scraped.
 */
export class SideTally {
  /** Status code → responses; 200 is there from the start (at 0). */
  readonly codes = new Map<number, number>([[200, 0]])
  readonly errors = new Float64Array(UPSTREAM_ERROR_REASONS.length)
  readonly decisions = new Float64Array(DECISION_REASONS.length)
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  buckets: Float64Array
  sum = 0
  count = 0

  constructor(bounds: number) {
    this.buckets = new Float64Array(bounds + 1)
  }

  observe(bounds: readonly number[], seconds: number): void {
    let i = 0
    while (i < bounds.length && seconds > bounds[i]!) i++
    this.buckets[i]!++
    this.sum += seconds
    this.count++
  }

  response(status: number): void {
    this.codes.set(status, (this.codes.get(status) ?? 0) + 1)
  }

  error(reason: UpstreamErrorReason): void {
    const i = ERROR_INDEX[reason]
    if (i !== undefined) this.errors[i]!++
  }

  decision(reason: DecisionReason): void {
    const i = DECISION_INDEX[reason]
    if (i !== undefined) this.decisions[i]!++
  }

  /** New bucket bounds: prom-client could not change a live histogram either, so it starts over. */
  resetDuration(bounds: number): void {
    this.buckets = new Float64Array(bounds + 1)
    this.sum = 0
    this.count = 0
  }
}

export type RouteTally = Readonly<Record<Side, SideTally>>

export function newRouteTally(bounds: number): RouteTally {
  return { old: new SideTally(bounds), new: new SideTally(bounds) }
}

/** Why a target was rolled back (sluice_rollbacks_total's reason): every one exists at 0 from the start. */
export const ROLLBACK_REASONS = ['error_rate', 'error_rate_vs_old', 'p99', 'p99_vs_old', 'manual'] as const

/** sluice_percent, sluice_rollout_state and sluice_rollbacks_total of one route or queue. */
export class TargetTally {
  /** Undefined until first set: no sluice_percent series yet. */
  percentBp: number | undefined = undefined
  state: RolloutState | undefined = undefined
  readonly rollbacks = new Float64Array(ROLLBACK_REASONS.length)
  /** Reasons outside ROLLBACK_REASONS (none today), created on first use. */
  other: Map<string, number> | undefined = undefined

  constructor(readonly kind: Kind, readonly name: string) {}

  rollback(reason: string): void {
    const i = (ROLLBACK_REASONS as readonly string[]).indexOf(reason)
    if (i >= 0) this.rollbacks[i]!++
    else (this.other ??= new Map()).set(reason, (this.other.get(reason) ?? 0) + 1)
  }
}

/** Registers sluice_percent, sluice_rollout_state and sluice_rollbacks_total, read from `targets` at scrape time. */
export function registerTargetFamilies(register: (family: ScrapedFamily) => void, targets: () => Iterable<TargetTally>): void {
  const each = (sample: (t: TargetTally, out: Sample[]) => void) => (): Sample[] => {
    const out: Sample[] = []
    for (const t of targets()) sample(t, out)
    return out
  }
  family(register, 'sluice_percent', 'Current share of traffic or jobs sent to the new side, in percent (0-100)', 'gauge',
    each((t, out) => {
      if (t.percentBp !== undefined) out.push({ labels: { kind: t.kind, name: t.name }, value: t.percentBp / 100 })
    }))
  family(register, 'sluice_rollout_state', 'Rollout state of a route or queue: 1 for the current state, 0 for the others', 'gauge',
    each((t, out) => {
      if (t.state !== undefined) for (const state of ROLLOUT_STATES) out.push({ labels: { kind: t.kind, name: t.name, state }, value: state === t.state ? 1 : 0 })
    }))
  family(register, 'sluice_rollbacks_total', 'Rollbacks of a route or queue to the old side, by reason', 'counter',
    each((t, out) => {
      ROLLBACK_REASONS.forEach((reason, i) => out.push({ labels: { kind: t.kind, name: t.name, reason }, value: t.rollbacks[i]! }))
      for (const [reason, value] of t.other ?? []) out.push({ labels: { kind: t.kind, name: t.name, reason }, value })
    }))
}

/** What prom-client's Registry#metrics asks of a metric: name, help, type and, per scrape, the samples. */
export interface ScrapedFamily {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly aggregator: 'sum'
  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: 'sum' }>
}

interface Sample {
  readonly labels: Readonly<Record<string, string | number>>
  readonly value: number
  readonly metricName?: string
}

/**
 * Registers the per-route families (`sluice_requests_total`, `sluice_upstream_errors_total`,
 * `sluice_decisions_total`, `sluice_request_duration_seconds`) through `register` (the recorder's
 * prom-client Registry) as metrics it formats like its own: it asks each for its samples at scrape
 * time, and these build them
 * from the tallies, in the same label order and names as prom-client's Counter and Histogram did.
 */
export function registerRouteFamilies(register: (family: ScrapedFamily) => void, routes: () => ReadonlyMap<string, RouteTally>, bounds: () => readonly number[]): void {
  const each = (sample: (route: string, backend: Side, t: SideTally, out: Sample[]) => void) => (): Sample[] => {
    const out: Sample[] = []
    for (const [route, tally] of routes()) for (const backend of SIDES) sample(route, backend, tally[backend], out)
    return out
  }
  family(register, 'sluice_requests_total', 'Client requests by route, the side that served them and the status sent (499: client went away first)', 'counter',
    each((route, backend, t, out) => {
      for (const [status, value] of t.codes) out.push({ labels: { route, backend, code: status === 0 ? CLIENT_CLOSED_CODE : String(status) }, value })
    }))
  family(register, 'sluice_upstream_errors_total', 'Transport failures of the decided side, by reason', 'counter',
    each((route, backend, t, out) => {
      UPSTREAM_ERROR_REASONS.forEach((reason, i) => out.push({ labels: { route, backend, reason }, value: t.errors[i]! }))
    }))
  family(register, 'sluice_decisions_total', 'Routing decisions by route, chosen side and why', 'counter',
    each((route, backend, t, out) => {
      DECISION_REASONS.forEach((reason, i) => out.push({ labels: { route, backend, reason }, value: t.decisions[i]! }))
    }))
  const name = 'sluice_request_duration_seconds'
  family(register, name, 'Time from the first request byte to the last response byte, per route and the side that served it', 'histogram',
    each((route, backend, t, out) => {
      const le = bounds()
      let acc = 0
      le.forEach((bound, i) => {
        acc += t.buckets[i] ?? 0
        out.push({ labels: { le: bound, route, backend }, value: acc, metricName: `${name}_bucket` })
      })
      out.push({ labels: { le: '+Inf', route, backend }, value: t.count, metricName: `${name}_bucket` })
      out.push({ labels: { route, backend }, value: t.sum, metricName: `${name}_sum` })
      out.push({ labels: { route, backend }, value: t.count, metricName: `${name}_count` })
    }))
}

function family(register: (family: ScrapedFamily) => void, name: string, help: string, type: ScrapedFamily['type'], samples: () => Sample[]): void {
  register({ name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, values: samples(), aggregator: 'sum' }) })
}

function indexOf<K extends string>(keys: readonly K[]): Readonly<Partial<Record<K, number>>> {
  return Object.fromEntries(keys.map((k, i) => [k, i])) as Partial<Record<K, number>>
}
