import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { Outcome } from '../../../src/observe/events.js'
import type { AdapterFactory, QueueSink } from '../../../src/dataplane/queue/types.js'
import { registry } from '../../../src/dataplane/queue/registry.js'

export { collectOutcomes, queueConfig, queueViews, silent, until } from '../../unit/queue/fakes.js'
export type { Outcome }

/** The built queue module router-child.mjs runs: dist/ must exist (npm test builds it first). */
export const ROUTER_CHILD_DIST = join(import.meta.dirname, '../../../dist/dataplane/queue/index.js')

/** Spawns router-child.mjs with `env` added, once it says `ready`; the test kills it and awaits `exited`. */
export function startRouterChild(env: Record<string, string>): Promise<ChildProcess> {
  const script = join(import.meta.dirname, 'router-child.mjs')
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(child) })
    child.once('exit', (code) => reject(new Error(`router child exited early with ${code}`)))
  })
}

/** Resolves when `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()))
}

/** `n` job bodies with ids `j0…` and `tenants` tenants, round robin. */
export function jobBodies(n: number, tenants: number, prefix = 'j'): string[] {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${prefix}${i}`, tenantId: `tenant-${i % tenants}`, n: i }))
}

/** LPUSH in chunks (one command with 10,000 arguments is fine for Redis, but chunks keep replies small). */
export async function preload(redis: Redis, key: string, bodies: readonly string[]): Promise<void> {
  const CHUNK = 1_000
  for (let i = 0; i < bodies.length; i += CHUNK) await redis.lpush(key, ...bodies.slice(i, i + CHUNK))
}

/**
 * The real registry, with every sink's publish slowed by `delayMs` (so a test can act mid-flow).
 * `inFlight` counts publishes started and not yet settled: read at a fault, it proves the fault hit
 * jobs that were taken and not yet delivered.
 */
export function slowSinks(delayMs: number): AdapterFactory & { readonly inFlight: number } {
  let inFlight = 0
  return {
    get inFlight() { return inFlight },
    source: (cfg, opts) => registry.source(cfg, opts),
    sink: (cfg, opts): QueueSink => {
      const sink = registry.sink(cfg, opts)
      return {
        publish: async (job) => {
          inFlight++
          try {
            await new Promise((r) => setTimeout(r, delayMs))
            return await sink.publish(job)
          } finally {
            inFlight--
          }
        },
        close: () => sink.close(),
      }
    },
  }
}

/** Ids found in a list (JSON elements with an `id`), with their counts. */
export async function listIds(redis: Redis, key: string): Promise<Map<string, number>> {
  return countIds((await redis.lrange(key, 0, -1)).map((e) => (JSON.parse(e) as { id: string }).id))
}

/** Ids found in a stream's `id` field, with their counts. */
export async function streamIds(redis: Redis, key: string): Promise<Map<string, number>> {
  const entries = await redis.xrange(key, '-', '+')
  return countIds(entries.map(([, f]) => f[f.indexOf('id') + 1]!))
}

export function countIds(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1)
  return m
}
