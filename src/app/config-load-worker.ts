import { parentPort, workerData } from 'node:worker_threads'
import { loadConfigFile, type ConfigSources } from '../config/index.js'
import type { Config, GroupConfig, QueueConfig, RouteConfig } from '../config/types.js'
import { IDS_PER_MESSAGE, TARGETS_PER_MESSAGE, type LoadMessage, type LoadRequest } from './config-load-protocol.js'

/**
 * A reload's load (read, parse, validate, normalise: `loadConfigFile`, problems with file, line and
 * column) in a worker thread, so the proxy's event loop keeps serving while a file of 10,000 routes
 * is parsed. The result goes back in pieces (config-load-protocol.ts), one at a time: the next is
 * sent when the main thread asks for it, since a port delivers every queued message in one turn of
 * the receiver's event loop.
 */
const port = parentPort
if (!port) throw new Error('config-load-worker.js runs as a worker thread only')
const request = workerData as LoadRequest
const asked: (() => void)[] = []
port.on('message', () => asked.shift()?.())

try {
  const result = await loadConfigFile(request.path, request.env)
  if (!result.ok) port.postMessage({ kind: 'refused', problems: result.problems, sources: result.sources } satisfies LoadMessage)
  else await sendConfig(result.config, result.hash, result.sources)
} catch (err) {
  port.postMessage({ kind: 'failed', message: (err as Error).message } satisfies LoadMessage)
}

/** Send one piece and wait until the main thread asks for the next. */
async function send(message: LoadMessage): Promise<void> {
  const next = new Promise<void>((resolve) => asked.push(resolve))
  port!.postMessage(message)
  await next
}

async function sendConfig(config: Config, hash: string, sources: ConfigSources): Promise<void> {
  await send({ kind: 'head', config: { ...config, routes: [], queues: [] }, hash, sources })
  await sendTargets('routes', config.routes)
  await sendTargets('queues', config.queues)
  port!.postMessage({ kind: 'done' } satisfies LoadMessage)
}

/** Targets in batches; a large group's ids follow separately, in batches of their own. */
async function sendTargets(list: 'routes' | 'queues', targets: readonly (RouteConfig | QueueConfig)[]): Promise<void> {
  for (let start = 0; start < targets.length; start += TARGETS_PER_MESSAGE) {
    const batch = targets.slice(start, start + TARGETS_PER_MESSAGE)
    const light = batch.map((t) => ({ ...t, groups: t.groups.map(withoutLargeUsers) }))
    await send({ kind: list, targets: light } as LoadMessage)
    for (const [i, t] of batch.entries()) {
      for (const [group, g] of t.groups.entries()) {
        if (g.users.length <= IDS_PER_MESSAGE) continue
        for (let at = 0; at < g.users.length; at += IDS_PER_MESSAGE) {
          await send({ kind: 'users', list, target: start + i, group, ids: g.users.slice(at, at + IDS_PER_MESSAGE) })
        }
      }
    }
  }
}

function withoutLargeUsers(g: GroupConfig): GroupConfig {
  return g.users.length <= IDS_PER_MESSAGE ? g : { ...g, users: [] }
}
