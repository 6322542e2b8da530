import type { Kind, TargetRef } from '../../core/types.js'
import { findTarget, type TargetSet } from '../../control/status.js'
import { SluiceError } from '../../util/errors.js'
import type { SeriesBook } from '../../observe/series.js'
import { json } from '../reply.js'
import type { AdminRequest, Router } from '../router.js'

export interface SeriesDeps {
  readonly series: SeriesBook
  readonly targets: () => TargetSet
}

const KINDS: readonly Kind[] = ['route', 'queue']
const DEFAULT_MINUTES = 60

/** GET /api/routes/NAME/series?minutes=60 and /api/queues/NAME/series (README "Dashboard and time series"). */
export function seriesRoutes(router: Router, deps: SeriesDeps): void {
  for (const kind of KINDS) {
    router.add('GET', `/api/${kind}s/:name/series`, (req) => {
      const ref: TargetRef = { kind, name: req.params['name'] ?? '' }
      const cfg = findTarget(deps.targets(), ref)
      return json(200, deps.series.json(ref, minutesOf(req, deps.series.keepMinutes), cfg.rollout?.analysis))
    })
  }
}

function minutesOf(req: AdminRequest, max: number): number {
  const raw = req.query.get('minutes')
  if (raw === null) return Math.min(DEFAULT_MINUTES, max)
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new SluiceError('SLUICE_ERR_BAD_REQUEST', `"minutes" must be a positive integer, not '${raw}'`)
  return Math.min(n, max)
}
