/** The queue data plane's public surface (app.ts and the package entry import from here). */
export { QueueDataPlane, DEFAULT_CONCURRENCY, type QueueDataPlaneOptions } from './plane.js'
export { JobRouter, type JobRouterOptions } from './job-router.js'
export { buildWorkerOutcome, type WorkerOutcome } from './worker-outcome.js'
export { registry } from './registry.js'
export { PublishError } from './failure.js'
export { bullmqJobId } from './sinks/bullmq.js'
export { contentId } from './job.js'
export type { AdapterFactory, Job, QueueSink, QueueSource, SinkOptions, SinkPair, SourceOptions } from './types.js'
