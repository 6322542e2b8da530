import type { ShadowConfig } from '../../../config/types.js'
import type { CompareRules } from '../../../core/shadow-compare.js'
import type { RouteShadowStats } from '../../../observe/shadow.js'
import { parseJsonPath, type PathSegment } from '../../../util/json-path.js'
import type { Backend } from '../upstream.js'

/** A route's shadow block, precompiled for the request path (route-table.ts). */
export interface CompiledShadow {
  readonly percentBp: number
  readonly methods: ReadonlySet<string>
  readonly maxBodyBytes: number
  readonly maxConcurrent: number
  readonly rules: CompareRules
  /** Figures and the in-flight count, kept across route-table rebuilds. */
  readonly stats: RouteShadowStats
  /** new's origins in a pool of their own: shadow calls never queue behind (or hold) real requests to new. */
  readonly backend: Backend
  readonly headersTimeout: number
  readonly bodyTimeout: number
}

export function compileShadow(
  config: ShadowConfig, stats: RouteShadowStats, backend: Backend, timeouts: { headerMs: number; idleMs: number },
): CompiledShadow {
  return Object.freeze({
    percentBp: config.percentBp,
    methods: new Set(config.methods),
    maxBodyBytes: config.maxBodyBytes,
    maxConcurrent: config.maxConcurrent,
    rules: Object.freeze({ headers: config.compare.headers, ignoreJson: config.compare.ignoreJson.map(validPath) }),
    stats,
    backend,
    headersTimeout: timeouts.headerMs,
    bodyTimeout: timeouts.idleMs,
  })
}

/** Validation refused bad paths; a hand-built config with one fails here, at setRoutes, not per request. */
function validPath(text: string): PathSegment[] {
  const parsed = parseJsonPath(text)
  if (typeof parsed === 'string') throw new Error(`shadow.compare.ignoreJson: ${parsed}`)
  return parsed
}
