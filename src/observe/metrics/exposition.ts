import type { Metric, Registry } from 'prom-client'
import type { FamilyHeader } from './definitions.js'

/** One exposition line's figures, as prom-client's formatter reads them. */
export interface ExpositionValue {
  readonly labels: Readonly<Record<string, string | number>>
  readonly value: number
  /** `_bucket`, `_sum`, `_count` lines of a histogram. */
  readonly metricName?: string
  /** Printed after `labels` (a histogram's route labels come after `le`, as prom-client prints them). */
  readonly sharedLabels?: Readonly<Record<string, string>>
}

/**
 * Registers a family whose series live outside prom-client (plain numbers the recorder owns) and
 * are turned into values only when scraped. The registry's own formatter prints them, so names,
 * label order and escaping, HELP and TYPE are exactly those of a prom-client metric of that name.
 */
export function registerFamily(registry: Registry, header: FamilyHeader, values: () => ExpositionValue[]): void {
  const family = {
    name: header.name,
    help: header.help,
    type: header.type,
    aggregator: 'sum',
    get: () => ({ name: header.name, help: header.help, type: header.type, aggregator: 'sum', values: values() }),
  }
  // The registry only calls name, type and get() of what it holds (getMetricsAsString).
  registry.registerMetric(family as unknown as Metric)
}
