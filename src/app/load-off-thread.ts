import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { loadConfigFile, type LoadResult } from '../config/index.js'
import type { Env } from '../config/interpolate.js'
import type { Config, GroupConfig, QueueConfig, RouteConfig } from '../config/types.js'
import type { LoadMessage, LoadRequest } from './config-load-protocol.js'

const WORKER_FILE = fileURLToPath(new URL('./config-load-worker.js', import.meta.url))

/**
 * `loadConfigFile` in a worker thread (config-load-worker.ts): the same result, problems and all,
 * but parsing and validating a large file never blocks this thread's event loop; the result arrives
 * in small messages and is reassembled (and deep-frozen) here. Run from the TypeScript sources
 * (the tests' in-process apps), there is no compiled worker file: the load then runs in this thread.
 */
export async function loadConfigOffThread(path: string, env: Env = process.env): Promise<LoadResult> {
  if (!existsSync(WORKER_FILE)) return loadConfigFile(path, env)
  const request: LoadRequest = { path, env: { ...env } }
  const worker = new Worker(WORKER_FILE, { workerData: request })
  try {
    return await receive(worker)
  } finally {
    void worker.terminate()
  }
}

function receive(worker: Worker): Promise<LoadResult> {
  const assembly = new Assembly()
  return new Promise<LoadResult>((resolve, reject) => {
    worker.on('message', (message: LoadMessage) => {
      try {
        const result = assembly.add(message)
        if (result !== undefined) resolve(result)
        // The next piece in a later turn of the event loop: requests are served in between.
        else setImmediate(() => worker.postMessage('next'))
      } catch (err) {
        reject(err as Error)
      }
    })
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the config loader thread stopped (exit code ${code}) before it answered`)))
  })
}

/** Puts the worker's messages back together; `add` returns the result once it is complete. */
class Assembly {
  #head: (LoadMessage & { kind: 'head' }) | undefined
  readonly #routes: RouteConfig[] = []
  readonly #queues: QueueConfig[] = []

  add(message: LoadMessage): LoadResult | undefined {
    switch (message.kind) {
      case 'refused': return { ok: false, problems: message.problems, ...(message.sources ? { sources: message.sources } : {}) }
      case 'failed': throw new Error(`the config loader thread failed: ${message.message}`)
      case 'head': this.#head = message; return undefined
      case 'routes': return void this.#take(this.#routes, message.targets)
      case 'queues': return void this.#take(this.#queues, message.targets)
      case 'users': {
        const target = (message.list === 'routes' ? this.#routes : this.#queues)[message.target]
        const users = target?.groups[message.group]?.users as string[] | undefined
        if (users === undefined) throw new Error('the config loader thread sent ids of an unknown group')
        for (const id of message.ids) users.push(id)
        return undefined
      }
      case 'done': return this.#done()
    }
  }

  /**
   * Frozen as they arrive (normalize froze them in the worker; a clone is not frozen), so that no
   * consumer may change what another reads; a group's ids stay open for the `users` that follow.
   */
  #take<T extends RouteConfig | QueueConfig>(list: T[], targets: readonly T[]): void {
    for (const t of targets) {
      list.push(t)
      freezeExceptUsers(t)
    }
  }

  #done(): LoadResult {
    const head = this.#head
    if (head === undefined) throw new Error('the config loader thread sent no config')
    for (const t of [...this.#routes, ...this.#queues]) for (const g of t.groups) Object.freeze(g.users)
    const config: Config = deepFreeze({
      ...head.config, routes: Object.freeze(this.#routes), queues: Object.freeze(this.#queues),
    })
    return { ok: true, config, hash: head.hash, sources: head.sources }
  }
}

function freezeExceptUsers(t: RouteConfig | QueueConfig): void {
  const users = new Set<unknown>(t.groups.map((g: GroupConfig) => g.users))
  deepFreeze(t, users)
}

function deepFreeze<T>(value: T, skip?: ReadonlySet<unknown>): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && skip?.has(value) !== true) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child, skip)
  }
  return value
}
