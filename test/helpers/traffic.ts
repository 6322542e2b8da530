import { Pool } from 'undici'

/** A running load; `stop()` ends every loop and closes the connections. */
export interface Load { stop(): Promise<void> }

export interface TrafficOptions {
  /** Connections of the client (default 4). */
  readonly connections?: number
  /** One request loop per entry, each GETting its path (default: one loop per connection, on '/'). */
  readonly paths?: readonly string[]
  /** User ids cycle through this many (`u0`…); default every request a new user. */
  readonly users?: number
  /** Pause after each request in a loop, so a 2-core machine stays responsive (default none). */
  readonly gapMs?: number
  /** A response that takes longer is given up (undici's header and body timeouts), as an impatient client. */
  readonly patienceMs?: number
}

/**
 * Steady GETs to `base` with an `x-user-id` per request, until `stop()`. A failed request is
 * ignored (traffic, not a check): the tests look at what sluice made of it.
 */
export function startTraffic(base: string, opts: TrafficOptions = {}): Load {
  const connections = opts.connections ?? 4
  const patience = opts.patienceMs ? { headersTimeout: opts.patienceMs, bodyTimeout: opts.patienceMs } : {}
  const pool = new Pool(base, { connections, ...patience })
  let running = true
  let n = 0
  const loop = async (path: string) => {
    while (running) {
      const user = `u${opts.users === undefined ? n++ : n++ % opts.users}`
      const res = await pool.request({ path, method: 'GET', headers: { 'x-user-id': user } }).catch(() => undefined)
      await res?.body.dump().catch(() => undefined)
      if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs))
    }
  }
  const loops = (opts.paths ?? Array.from({ length: connections }, () => '/')).map(loop)
  return { stop: async () => { running = false; await Promise.all(loops); await pool.destroy() } }
}
