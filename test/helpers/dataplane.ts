import { connect } from 'node:net'
import pino from 'pino'
import { Pool } from 'undici'
import type { RouteConfig } from '../../src/config/types.js'
import { HttpDataPlane } from '../../src/dataplane/http/server.js'
import { createOutcomeBus, type Outcome } from '../../src/observe/events.js'
import { refKey, type LiveSnapshot, type TargetLive } from '../../src/state/store.js'
import { buildViews } from '../../src/state/views.js'
import type { Random } from '../../src/util/random.js'
import { afterAll, beforeAll } from 'vitest'
import { startBackend, type TestBackend } from './backends.js'

/**
 * The HTTP data plane started in-process on 127.0.0.1 port 0, with routes built the way app.ts
 * builds them (RouteConfig + buildViews), an outcome recorder and an undici client to it.
 */

type RouteParts = Partial<RouteConfig> & Pick<RouteConfig, 'name' | 'old' | 'new'>

/** A normalised RouteConfig with the product defaults, except shorter timeouts for tests. */
export function routeConfig(parts: RouteParts): RouteConfig {
  return {
    match: { host: undefined, pathPrefix: '/' },
    percentBp: 0,
    sticky: [],
    assignCookie: undefined,
    groups: [],
    optIn: false,
    rollout: undefined, goals: [],
    timeouts: { connectMs: 2_000, headerMs: 10_000, idleMs: 10_000 },
    exposeBackendHeader: false,
    ...parts,
  }
}

export interface TestDataPlane {
  readonly plane: HttpDataPlane
  /** 'http://127.0.0.1:PORT' */
  readonly url: string
  readonly port: number
  /** Every Outcome published, in order. */
  readonly outcomes: Outcome[]
  /** A keep-alive undici client to the data plane. */
  readonly client: Pool
  /** Live percent (basis points) per route, as the state store would hold it; rebuilds the views. */
  setPercent(route: string, percentBp: number): void
  close(): Promise<void>
}

export interface DataPlaneOptions {
  readonly random?: Random
  /** Default: a silent logger. */
  readonly logger?: import('pino').Logger
  readonly access?: { readonly enabled: boolean; readonly sample: number }
  /** Serve HTTPS with this certificate; `client` then trusts `clientCa` (default: none). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string }
}

export async function startDataPlane(
  routes: readonly RouteConfig[], opts: DataPlaneOptions = {},
): Promise<TestDataPlane> {
  const bus = createOutcomeBus()
  const outcomes: Outcome[] = []
  bus.subscribe((o) => outcomes.push(o))
  const plane = new HttpDataPlane({
    listen: { host: '127.0.0.1', port: 0 }, bus, logger: opts.logger ?? pino({ level: 'silent' }),
    ...(opts.random ? { random: opts.random } : {}),
    ...(opts.access ? { access: opts.access } : {}),
    ...(opts.tls ? { tls: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  })
  const live = new Map<string, TargetLive>()
  const install = (): void => {
    const snapshot = { targets: live, members: new Map() } satisfies LiveSnapshot
    plane.setRoutes(routes, buildViews(routes, [], snapshot).routes)
  }
  install()
  const { port } = await plane.listen()
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`
  const client = new Pool(url, { connections: 16, ...(opts.tls ? { connect: { ca: opts.tls.clientCa, servername: 'localhost' } } : {}) })
  return {
    plane, url, port, outcomes, client,
    setPercent(route, percentBp) {
      live.set(refKey({ kind: 'route', name: route }), {
        percentBp, state: 'manual', step: -1, filePercentBp: 0, updatedAt: 0, version: live.size + 1,
      })
      install()
    },
    async close() {
      await client.destroy()
      await plane.close(1_000)
    },
  }
}

/** Waits (bounded) until `n` outcomes were published: they are published when a response closes. */
export async function waitForOutcomes(dp: TestDataPlane, n: number, timeoutMs = 5_000): Promise<Outcome[]> {
  const deadline = Date.now() + timeoutMs
  while (dp.outcomes.length < n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} outcomes, got ${dp.outcomes.length}`)
    await new Promise((r) => setTimeout(r, 5))
  }
  return dp.outcomes
}

/**
 * Sends raw bytes to the data plane on a fresh socket and collects what comes back, until the
 * server closes the socket or `until(received)` says enough; then destroys the socket.
 * For requests undici refuses to send (hop-by-hop headers, smuggling vectors).
 */
export async function rawExchange(
  port: number, payload: string, until?: (received: string) => boolean, timeoutMs = 5_000,
): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  let received = ''
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(received)}`)), timeoutMs)
      const done = (): void => { clearTimeout(timer); resolve(received) }
      socket.on('data', (d: Buffer) => {
        received += d.toString('latin1')
        if (until?.(received)) done()
      })
      socket.on('close', done)
      socket.on('error', () => {})
      socket.write(payload, 'latin1')
    })
  } finally {
    socket.destroy()
  }
}

/** Splits a raw response into its head lines (lower-cased names) and body. */
export function parseRawResponse(raw: string): { status: number; headers: [string, string][]; body: string } {
  const end = raw.indexOf('\r\n\r\n')
  const lines = raw.slice(0, end).split('\r\n')
  const headers = lines.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
  })
  return { status: Number(lines[0]?.split(' ')[1]), headers, body: raw.slice(end + 4) }
}

/**
 * Peak resident-set growth of this process while a transfer runs, sampled every 10 ms. The process
 * holds the proxy, the origin and the client, so the figure is an upper bound on the proxy's share.
 */
export function rssSampler(): { stop(): number } {
  const before = process.memoryUsage.rss()
  let peak = before
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 10)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, process.memoryUsage.rss()) - before
    },
  }
}

/** What `useCheckoutPlane` gives a test file: two recording backends and a data plane in front. */
export interface CheckoutPlane {
  readonly oldB: TestBackend
  readonly newB: TestBackend
  readonly dp: TestDataPlane
}

/**
 * For one test file: backends `old` and `new`, and a data plane with one route `checkout` to them
 * (plus `extra`), started before all tests and closed after.
 */
export function useCheckoutPlane(extra: Partial<RouteConfig>): CheckoutPlane {
  const f = {} as { oldB: TestBackend; newB: TestBackend; dp: TestDataPlane }
  beforeAll(async () => {
    f.oldB = await startBackend('old')
    f.newB = await startBackend('new')
    f.dp = await startDataPlane([routeConfig({ name: 'checkout', old: [f.oldB.url], new: [f.newB.url], ...extra })])
  })
  afterAll(async () => {
    await f.dp.close()
    await Promise.all([f.oldB.close(), f.newB.close()])
  })
  return f
}

/** For one test file: one recording origin behind a data plane whose route `r` sends both sides to it. */
export function useOriginPlane(): { readonly origin: TestBackend; readonly dp: TestDataPlane } {
  const f = {} as { origin: TestBackend; dp: TestDataPlane }
  beforeAll(async () => {
    f.origin = await startBackend('old')
    f.dp = await startDataPlane([routeConfig({ name: 'r', old: [f.origin.url], new: [f.origin.url] })])
  })
  afterAll(async () => {
    await f.dp.close()
    await f.origin.close()
  })
  return f
}
