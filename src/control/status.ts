import type { QueueConfig, QueueEndpointConfig, RolloutPolicy, RouteConfig } from '../config/types.js'
import type { Kind, RolloutState, TargetRef } from '../core/types.js'
import { assess, type OutsideCheck, type SideTally, type Verdict, type VerdictKind } from '../core/analysis.js'
import { judgedSteps } from '../core/rollout.js'
import { SluiceError } from '../util/errors.js'
import type { Actor, HistoryEvent, TargetLive } from '../state/store.js'

/** The targets of the running config (a Config satisfies it). */
export interface TargetSet {
  readonly routes: readonly RouteConfig[]
  readonly queues: readonly QueueConfig[]
}

export type TargetConfig = RouteConfig | QueueConfig

/** The configured route or queue; SLUICE_ERR_NOT_FOUND with "no route named 'x'" otherwise. */
export function findTarget(set: TargetSet, ref: TargetRef): TargetConfig {
  const list: readonly TargetConfig[] = ref.kind === 'route' ? set.routes : set.queues
  const cfg = byName(list).get(ref.name)
  if (cfg === undefined) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no ${ref.kind} named '${ref.name}'`)
  return cfg
}

const indexes = new WeakMap<readonly TargetConfig[], ReadonlyMap<string, TargetConfig>>()

/**
 * Names → targets of one (frozen) list, built once: the controller looks up every target with a
 * rollout on every tick, and a walk of 10,000 routes for each would be quadratic. A list that grew
 * since (a hand-built config) is indexed again.
 */
function byName(list: readonly TargetConfig[]): ReadonlyMap<string, TargetConfig> {
  let index = indexes.get(list)
  if (index === undefined || (index.size !== list.length && Object.isFrozen(list) === false)) {
    index = new Map(list.map((t) => [t.name, t]))
    indexes.set(list, index)
  }
  return index
}

/**
 * ROUTE / QUEUE of the README's Admin plane and API section. Contract fields are never renamed; the
 * extras after `lastVerdict` help operators and never carry secrets (no URL credentials, no sink URLs).
 */
export interface TargetJson {
  readonly name: string
  readonly kind: Kind
  /** 0–100, two decimals. */
  readonly percent: number
  readonly state: RolloutState
  readonly step: number
  readonly steps: readonly number[]
  readonly nextStepAt: string | null
  readonly windowOpen: boolean | null
  /** Group name → member count. */
  readonly groups: Readonly<Record<string, number>>
  readonly lastVerdict: VerdictJson | null
  /** The evidence of the running (or last) rollout: step counts, each check's statistic and bar, the verdict. */
  readonly analysis?: AnalysisJson
  /** The percent the config file asked for when it was last applied. */
  readonly filePercent: number
  readonly updatedAt: string | null
  readonly match?: { readonly host: string | null; readonly pathPrefix: string }
  readonly old?: readonly string[] | { readonly type: string }
  readonly new?: readonly string[] | { readonly type: string }
  readonly source?: { readonly type: string }
  /** Routes with shadow traffic: this replica's counts and the share that differed (README "Shadow traffic"). */
  readonly shadow?: ShadowSummaryJson
}

/** A route's shadow calls at a glance; the samples are in GET /api/routes/NAME/shadow. */
export interface ShadowSummaryJson {
  readonly compared: number
  readonly mismatched: number
  readonly errors: number
  readonly skipped: number
  /** (mismatched + errors) / (compared + errors): what maxMismatchRate judges; null before any call. */
  readonly mismatchRate: number | null
}

export function shadowSummary(
  r: { compared: number; mismatched: number; errors: number; skipped: number },
): ShadowSummaryJson {
  const judged = r.compared + r.errors
  const mismatchRate = judged > 0 ? (r.mismatched + r.errors) / judged : null
  return { compared: r.compared, mismatched: r.mismatched, errors: r.errors, skipped: r.skipped, mismatchRate }
}

/** `live` is undefined only before the live state was created: the file's values are shown then. */
/** What the rollout controller knows beyond live state (see control/controller.ts RolloutInfo). */
export interface RolloutFacts {
  readonly nextStepAt: number | null
  readonly windowOpen: boolean | null
  readonly lastVerdict: (Verdict & { readonly at: number }) | null
}

/** The README's lastVerdict: when, pass or not, which checks failed, both sides' figures. */
export interface VerdictJson {
  readonly at: string
  readonly pass: boolean
  readonly kind: Verdict['kind']
  readonly failed: readonly string[]
  readonly old: { readonly requests: number; readonly errorRate: number; readonly p99Ms: number | null }
  readonly new: { readonly requests: number; readonly errorRate: number; readonly p99Ms: number | null }
  /** Inconclusive: what is missing ("312 of 1,000 new-side requests at this step"). */
  readonly missing?: string
  /** Goal and metric checks judged with that window (absent when none are configured). */
  readonly outside?: readonly OutsideCheck[]
}

export function verdictJson(v: Verdict & { readonly at: number }): VerdictJson {
  const side = (s: Verdict['old']) => ({ requests: s.requests, errorRate: s.errorRate, p99Ms: s.p99Ms })
  const json = { at: new Date(v.at).toISOString(), pass: v.kind === 'pass', kind: v.kind, failed: v.failed, old: side(v.old), new: side(v.new) }
  const outside = v.outside && v.outside.length > 0 ? { outside: v.outside } : {}
  return v.missing === undefined ? { ...json, ...outside } : { ...json, missing: v.missing, ...outside }
}

/** The README's ROUTE.analysis (Automatic rollouts). */
export interface AnalysisJson {
  readonly step: { readonly old: SideTally; readonly new: SideTally }
  /**
   * Per configured check: the mixture statistic M (rounded) and the bar that fails it; per goal or
   * metric check judged with the latest window, under `KIND:NAME` (`metric:app-errors`), its
   * outcome, summary and figures (value, old, limits …).
   */
  readonly evidence: Readonly<Record<string, { readonly m: number; readonly bar: number } | OutsideEvidenceJson>>
  readonly verdict: VerdictKind
  readonly missing?: string
}

/** ROUTE.analysis from the evidence in live state (so every replica shows the same). */
export function analysisJson(
  policy: RolloutPolicy | undefined, live: TargetLive | undefined,
): AnalysisJson | undefined {
  if (!policy?.analysis || !live?.evidence) return undefined
  const v = assess(policy.analysis, live.evidence, judgedSteps(policy))
  const evidence = {
    ...Object.fromEntries(v.checks.map((c) => [c.check, { m: round(c.m), bar: round(c.bar) }])),
    ...Object.fromEntries((v.outside ?? []).map((c) => [`${c.kind}:${c.name}`, outsideEvidence(c)])),
  }
  const json = { step: v.step, evidence, verdict: v.kind }
  return v.missing === undefined ? json : { ...json, missing: v.missing }
}

/** A goal's or metric check's latest outcome in ROUTE.analysis.evidence. */
export type OutsideEvidenceJson =
  { readonly outcome: VerdictKind; readonly summary: string } & Readonly<Record<string, number | null | string>>

function outsideEvidence(c: OutsideCheck): OutsideEvidenceJson {
  return { outcome: c.outcome, summary: c.summary, ...c.figures }
}

/** Three significant digits: enough to see how near the bar a check is. */
function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(3)) : x
}

/**
 * `groupSizes`: group name → effective member count, as the live views keep it (file ids plus live
 * edits). Counts are read, never computed here: building a million-id set per call cost the
 * dashboard a second per hit. A group missing from it shows its file's id count.
 */
export function describeTarget(
  kind: Kind,
  cfg: TargetConfig,
  live: TargetLive | undefined,
  groupSizes?: Readonly<Record<string, number>>,
  facts?: RolloutFacts,
): TargetJson {
  const base = {
    name: cfg.name,
    kind,
    percent: toPercent(live?.percentBp ?? cfg.percentBp),
    state: live?.state ?? 'manual',
    step: live?.step ?? -1,
    steps: cfg.rollout?.stepsBp.map(toPercent) ?? [],
    nextStepAt: facts?.nextStepAt == null ? null : new Date(facts.nextStepAt).toISOString(),
    windowOpen: facts?.windowOpen ?? null,
    groups: Object.fromEntries(cfg.groups.map((g) => [g.name, groupSizes?.[g.name] ?? g.users.length])),
    lastVerdict: facts?.lastVerdict ? verdictJson(facts.lastVerdict) : null,
    ...optional('analysis', analysisJson(cfg.rollout, live)),
    filePercent: toPercent(live?.filePercentBp ?? cfg.percentBp),
    updatedAt: live === undefined ? null : new Date(live.updatedAt).toISOString(),
  }
  if ('match' in cfg) {
    return {
      ...base,
      match: { host: cfg.match.host ?? null, pathPrefix: cfg.match.pathPrefix },
      old: cfg.old.map(safeOrigin),
      new: cfg.new.map(safeOrigin),
    }
  }
  return { ...base, source: cfg.source === undefined ? { type: 'producer-api' } : endpoint(cfg.source), old: endpoint(cfg.old), new: endpoint(cfg.new) }
}

export interface HistoryEventJson {
  readonly at: string
  readonly actor: Actor
  readonly reason: string | null
  readonly from: { readonly percent: number; readonly state: RolloutState }
  readonly to: { readonly percent: number; readonly state: RolloutState }
  readonly figures?: unknown
}

/** The history JSON of the README, oldest first (the store's order). */
export function historyJson(events: readonly HistoryEvent[]): { events: HistoryEventJson[] } {
  return { events: events.map(eventJson) }
}

function eventJson(e: HistoryEvent): HistoryEventJson {
  const json: HistoryEventJson = {
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    reason: e.reason ?? null,
    from: { percent: toPercent(e.from.percentBp), state: e.from.state },
    to: { percent: toPercent(e.to.percentBp), state: e.to.state },
  }
  return e.figures === undefined ? json : { ...json, figures: e.figures }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}

export function toPercent(bp: number): number {
  return bp / 100
}

/** Origins are normalised without credentials, but strip any user-info again: this goes to API clients. */
function safeOrigin(origin: string): string {
  try {
    return new URL(origin).origin
  } catch {
    return origin
  }
}

/** Queue endpoint URLs may hold passwords (redis://:pw@host): only the type is shown. */
function endpoint(e: QueueEndpointConfig): { readonly type: string } {
  return { type: e.type }
}
