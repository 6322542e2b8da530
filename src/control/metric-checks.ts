import type { Logger } from 'pino'
import type { AnalysisPolicy, MetricCheckConfig } from '../config/types.js'
import type { OutsideCheck } from '../core/analysis.js'
import { judgeMetric, renderQuery, sideValue, usesSide, type QueryAnswer } from '../core/metric-checks.js'
import type { TargetRef } from '../core/types.js'
import type { Recorder } from '../observe/metrics/recorder.js'
import { instantQuery, type InstantQuery } from './prometheus.js'

export interface MetricCheckRunnerDeps {
  readonly logger: Logger
  readonly recorder: Pick<Recorder, 'metricCheckError'>
  /** The HTTP client; tests may inject another. */
  readonly query?: InstantQuery
}

/**
 * Runs a target's metric checks when one of its analysis windows closes (only the replica that
 * judges calls it): both sides' queries of every check at once, each with the check's timeout,
 * capped at the window so a slow Prometheus never makes the controller skip a window. The
 * outcome is judged in core/metric-checks.ts.
 *
 * A check without a value (no data, NaN, error, unreachable) is inconclusive: it is counted in
 * sluice_metric_check_errors_total every window, but logged only when it starts failing and when
 * it recovers, so an hour-long Prometheus outage is two log lines per check, not 3,600.
 */
export class MetricCheckRunner {
  readonly #deps: MetricCheckRunnerDeps
  readonly #query: InstantQuery
  /** `target/check` → why it has no value, while it has none. */
  readonly #failing = new Map<string, string>()

  constructor(deps: MetricCheckRunnerDeps) {
    this.#deps = deps
    this.#query = deps.query ?? instantQuery
  }

  /** The outcome of every metric check of `analysis` for the window that just closed; none configured → []. */
  async judge(ref: TargetRef, analysis: AnalysisPolicy): Promise<OutsideCheck[]> {
    const checks = analysis.metrics ?? []
    if (checks.length === 0) return []
    return Promise.all(checks.map((c) => this.#judgeOne(ref, c, Math.min(c.prometheus.timeoutMs, analysis.windowMs))))
  }

  async #judgeOne(ref: TargetRef, check: MetricCheckConfig, timeoutMs: number): Promise<OutsideCheck> {
    const ask = (side: 'old' | 'new'): Promise<QueryAnswer> => this.#query(check.prometheus, renderQuery(check.query, side, ref.name), timeoutMs)
    // Without {{side}} both sides run the same query: ask once.
    const [newAnswer, oldAnswer] = usesSide(check.query) ? await Promise.all([ask('new'), ask('old')]) : await ask('new').then((a): [QueryAnswer, QueryAnswer] => [a, a])
    const result = judgeMetric(check.name, check, { old: sideValue(oldAnswer), new: sideValue(newAnswer) })
    this.#track(ref, check, result)
    return result
  }

  /** Count every window without a value; log only the changes between "has a value" and "has none". */
  #track(ref: TargetRef, check: MetricCheckConfig, result: OutsideCheck): void {
    const key = `${ref.kind}/${ref.name}/${check.name}`
    const fields = { kind: ref.kind, name: ref.name, check: check.name, prometheus: safeOrigin(check.prometheus.url) }
    const wasFailing = this.#failing.has(key)
    if (result.outcome === 'inconclusive') {
      this.#deps.recorder.metricCheckError(ref.name, check.name)
      if (!wasFailing) this.#deps.logger.warn({ ...fields, reason: result.summary }, 'metric check has no value: the step holds until it has one (inconclusive, never a failure)')
      this.#failing.set(key, result.summary)
    } else if (wasFailing) {
      this.#failing.delete(key)
      this.#deps.logger.info({ ...fields, outcome: result.outcome }, 'metric check has a value again')
    }
  }
}

/** The server's origin, without credentials or path secrets, for logs. */
function safeOrigin(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return '<invalid url>'
  }
}
