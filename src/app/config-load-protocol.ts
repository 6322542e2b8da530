import type { Env } from '../config/interpolate.js'
import type { ConfigSources, Problem } from '../config/index.js'
import type { Config, QueueConfig, RouteConfig } from '../config/types.js'

/** What the reload asks the worker (its workerData). */
export interface LoadRequest {
  readonly path: string
  readonly env: Env
}

/**
 * The worker's answer, in order: `refused` (or `failed`) alone; or `head`, the targets in batches
 * (`routes`, then `queues`), the ids of groups larger than IDS_PER_MESSAGE (`users`, each after its
 * target's batch), then `done`. Every message is plain data (structured clone); each is small enough
 * to be received in a millisecond or two, between requests.
 */
export type LoadMessage =
  | { readonly kind: 'refused'; readonly problems: readonly Problem[]; readonly sources: ConfigSources | undefined }
  | { readonly kind: 'failed'; readonly message: string }
  /** The config with empty `routes` and `queues`. */
  | { readonly kind: 'head'; readonly config: Config; readonly hash: string; readonly sources: ConfigSources }
  | { readonly kind: 'routes'; readonly targets: readonly RouteConfig[] }
  | { readonly kind: 'queues'; readonly targets: readonly QueueConfig[] }
  /** More ids of group `group` of target `target` (index in its list), appended in order. */
  | { readonly kind: 'users'; readonly list: 'routes' | 'queues'; readonly target: number; readonly group: number; readonly ids: readonly string[] }
  | { readonly kind: 'done' }

/** Routes or queues per message: a few hundred routes deserialise in about a millisecond. */
export const TARGETS_PER_MESSAGE = 250
/** Group ids per message; a group with more sends them separately. */
export const IDS_PER_MESSAGE = 20_000
