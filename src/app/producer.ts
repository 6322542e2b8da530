import { SluiceApp } from './index.js'
import { formatProblem, loadConfigFile } from '../config/index.js'
import type { JobRouter, WorkerOutcome } from '../dataplane/queue/index.js'
import { SluiceError } from '../util/errors.js'

export interface CreateJobRouterOptions {
  /** The sluice config file; the queue's `old`/`new` sinks, percent, sticky key, groups and rollout come from it. */
  readonly config: string
  /** The queue's name in that file (it needs no `source`: the producer is the source). */
  readonly queue: string
  readonly env?: NodeJS.ProcessEnv
}

/** What a producer uses instead of `queue.add`: the same decision, state, metrics and rollout as sluice. */
export interface ProducerJobRouter {
  /** Route one job (an object or JSON text); resolves once a sink confirmed it, with its id and side. */
  add(job: unknown, opts?: { id?: string }): Promise<{ id: string; backend: 'old' | 'new' }>
  /** A worker's result for a job, so analysis can roll back a new system whose workers fail more. */
  reportOutcome(outcome: WorkerOutcome): void
  /** The embedded sluice: admin plane (status, levers, /metrics), its addresses, its store. */
  readonly app: SluiceApp
  close(): Promise<void>
}

/**
 * Run sluice inside a producer process and get a job router for one queue:
 *
 *   const router = await createJobRouter({ config: '../sluice.yaml', queue: 'emails' })
 *   await router.add({ id: 'job-1', tenantId: 'acme', to: 'a@example.com' })
 *
 * The embedded sluice starts its admin plane as configured (so `sluice status`, `set-percent`,
 * `rollback` and `/metrics` work against the producer) and runs the rollout controller.
 */
export async function createJobRouter(opts: CreateJobRouterOptions): Promise<ProducerJobRouter> {
  const loaded = await loadConfigFile(opts.config, opts.env)
  if (!loaded.ok) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `invalid config:\n${loaded.problems.map(formatProblem).join('\n')}`)
  }
  const app = new SluiceApp({
    config: loaded.config, configHash: loaded.hash, configSources: loaded.sources, configPath: opts.config,
  })
  await app.start()
  let router: JobRouter
  try {
    router = app.jobRouter(opts.queue)
  } catch (err) {
    await app.shutdown('createJobRouter failed')
    throw err
  }
  return {
    app,
    add: (job, o) => router.add(job, o),
    reportOutcome: (o) => router.reportOutcome(o),
    close: async () => {
      await router.close()
      await app.shutdown('job router closed')
    },
  }
}
