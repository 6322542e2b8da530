import type { Router } from '../router.js'
import { json } from '../reply.js'

export interface Readiness {
  readonly ready: boolean
  /** Named checks, true when passing: shown so an operator sees which one fails. */
  readonly checks: Readonly<Record<string, boolean>>
}

/**
 * /healthz is liveness only: it never looks at dependencies, so a state store outage cannot make
 * an orchestrator restart every replica. /readyz says whether this replica should get traffic.
 * Neither needs the token: probes do not carry one.
 */
export function healthRoutes(router: Router, readiness: () => Readiness): void {
  router.add('GET', '/healthz', () => json(200, { status: 'ok' }))
  router.add('GET', '/readyz', () => {
    const r = readiness()
    return json(r.ready ? 200 : 503, { status: r.ready ? 'ok' : 'unavailable', checks: r.checks })
  })
}
