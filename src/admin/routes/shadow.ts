import { findTarget, type TargetSet } from '../../control/status.js'
import { SluiceError } from '../../util/errors.js'
import type { ShadowReport } from '../../observe/shadow.js'
import { json, type Reply } from '../reply.js'
import type { AdminRequest, Router } from '../router.js'

export interface ShadowDeps {
  readonly targets: () => TargetSet
  /** The route's shadow figures; undefined when it has no shadow block. */
  readonly report: (route: string) => ShadowReport | undefined
}

/** GET /api/routes/NAME/shadow (README "Shadow traffic"): counts and the last mismatches. */
export function shadowRoutes(router: Router, deps: ShadowDeps): void {
  router.add('GET', '/api/routes/:name/shadow', (req) => report(req, deps))
}

function report(req: AdminRequest, deps: ShadowDeps): Reply {
  const name = req.params['name'] ?? ''
  findTarget(deps.targets(), { kind: 'route', name })
  const r = deps.report(name)
  if (r === undefined) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `route '${name}' has no shadow block: add shadow: { percent: 100 } to send it shadow traffic`)
  return json(200, r)
}
