/** sluice as a library: load a config and run the proxy in-process. */
export { SluiceApp, type AppOptions, type Addresses } from './app/index.js'
export { loadConfigFile, loadConfigText, formatProblem, type Problem, type LoadResult } from './config/index.js'
export type { Config, RouteConfig, QueueConfig, Side } from './config/types.js'
export { splitHash, thresholdFor } from './core/bucket.js'
export { decide } from './core/decide.js'
export { SluiceError, ErrorCodes, type ErrorCode } from './util/errors.js'
export { createJobRouter, type CreateJobRouterOptions, type ProducerJobRouter } from './app/producer.js'
