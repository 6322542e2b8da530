// A queue router in its own process, for the crash test (the parent SIGKILLs it mid-flow).
// Plain JS importing the built dist/ (no TS loader in a child); `npm test` builds dist/ first.
// Input: env SLUICE_QUEUE_CHILD = JSON { queue: QueueConfig, concurrency, delayMs }.
// Prints "ready" once the router runs; SIGTERM closes it gracefully.
import { createOutcomeBus } from '../../../dist/observe/events.js'
import { createLogger } from '../../../dist/observe/log.js'
import { QueueDataPlane, registry } from '../../../dist/dataplane/queue/index.js'
import { buildViews } from '../../../dist/state/views.js'

const { queue, concurrency, delayMs } = JSON.parse(process.env.SLUICE_QUEUE_CHILD ?? '{}')

/**
 * The real adapters, each publish confirmed only `delayMs` after the sink took the job: the parent's
 * kill then lands while jobs are published but not yet acknowledged (the duplicates window).
 */
const adapters = {
  source: (cfg, opts) => registry.source(cfg, opts),
  sink: (cfg, opts) => {
    const sink = registry.sink(cfg, opts)
    return {
      publish: async (job) => {
        await sink.publish(job)
        await new Promise((r) => setTimeout(r, delayMs))
      },
      close: () => sink.close(),
    }
  },
}

const plane = new QueueDataPlane({ bus: createOutcomeBus(), logger: createLogger({ level: 'warn' }), adapters, concurrency })
const views = buildViews([], [queue], { targets: new Map(), members: new Map() }).queues
await plane.setQueues([queue], views)
process.stdout.write('ready\n')
process.on('SIGTERM', () => { void plane.close(2_000).then(() => process.exit(0)) })
