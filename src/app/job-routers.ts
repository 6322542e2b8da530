import type { Logger } from 'pino'
import type { Config } from '../config/types.js'
import { SluiceError } from '../util/errors.js'
import type { Random } from '../util/random.js'
import type { OutcomeBus } from '../observe/events.js'
import type { ViewTable } from '../state/views.js'
import { JobRouter } from '../dataplane/queue/index.js'

export interface JobRouterDeps {
  readonly config: Config
  readonly bus: OutcomeBus
  readonly random: Random
  readonly logger: Logger
  /** The current views (read on every add, so live changes apply at once). */
  readonly views: () => ViewTable | undefined
}

/**
 * The in-process producer API for queue NAME of `deps.config`, deciding with this sluice's live
 * state and publishing to its outcome bus. Throws SLUICE_ERR_NOT_FOUND for a queue not in the config.
 */
export function jobRouterFor(name: string, deps: JobRouterDeps): JobRouter {
  const queue = deps.config.queues.find((q) => q.name === name)
  if (!queue) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no queue named '${name}' in the config`)
  return new JobRouter({
    queue, bus: deps.bus, random: deps.random, logger: deps.logger,
    view: () => deps.views()!.queues.get(name)!,
  })
}
