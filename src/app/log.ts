import type { Logger } from 'pino'
import { SIDES, type Config, type RouteConfig } from '../config/types.js'
import type { StateStore } from '../state/store.js'
import { TimeSlice } from '../util/time-slice.js'
import { VERSION } from '../util/version.js'

export function hostPort(a: { host: string; port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

/** The start-up summary line: where sluice listens, how it is secured, where live state is, the routes. */
export function logStartSummary(logger: Logger, c: Config, store: StateStore, o: {
  data: { host: string; port: number }
  admin: { host: string; port: number }
  configPath: string | undefined
  replica: string
}): void {
  logger.info({
    version: VERSION,
    data: `${c.listenTls ? 'https' : 'http'}://${hostPort(o.data)}`,
    admin: `${c.admin.tls ? 'https' : 'http'}://${hostPort(o.admin)}`,
    adminAuth: c.admin.token ? 'bearer token' : 'none (loopback only)',
    stateStore: describeStore(c),
    replica: o.replica,
    config: o.configPath ?? '<embedded>',
    routes: c.routes.map((r) => ({
      name: r.name, host: r.match.host ?? '*', pathPrefix: r.match.pathPrefix,
      percent: (store.get({ kind: 'route', name: r.name })?.percentBp ?? r.percentBp) / 100,
      old: r.old, new: r.new,
    })),
    queues: c.queues.map((q) => q.name),
  }, 'sluice started')
  warnUnverifiedTls(logger, c)
}

/**
 * `tls.rejectUnauthorized: false` accepts any certificate, an attacker's too: allowed (a test
 * backend, a migration's first hours) but said loudly at every start, per backend.
 */
export function warnUnverifiedTls(logger: Logger, c: Config): void {
  for (const r of c.routes) warnUnverifiedRoute(logger, r)
}

/** The same at a reload, in time slices after its swap: reading 10,000 routes' transports takes a while. */
export async function warnUnverifiedTlsSliced(logger: Logger, c: Config): Promise<void> {
  const slice = new TimeSlice()
  for (const r of c.routes) {
    if (slice.spent) await slice.pass()
    warnUnverifiedRoute(logger, r)
  }
}

function warnUnverifiedRoute(logger: Logger, r: RouteConfig): void {
  if (r.transport === undefined) return
  for (const side of SIDES) {
    const tls = r.transport[side].tls
    for (let i = 0; i < tls.length; i++) {
      if (tls[i]?.rejectUnauthorized === false) {
        logger.warn({ route: r.name, side, backend: r[side][i] }, 'tls.rejectUnauthorized is false: this backend\'s certificate is NOT verified')
      }
    }
  }
}

function describeStore(c: Config): string {
  if (c.state.store === 'redis') return `redis (key prefix ${c.state.keyPrefix})`
  return `memory ${c.state.file ? `(${c.state.file})` : '(live changes are lost on restart)'}`
}

/** Listeners and the store are built once; say so instead of silently ignoring the edit. */
export function warnRestartOnly(logger: Logger, prev: Config, next: Config): void {
  const changed: string[] = []
  if (hostPort(prev.listen) !== hostPort(next.listen)) changed.push('listen')
  if ((prev.listenTls === undefined) !== (next.listenTls === undefined)) changed.push('listen.tls')
  if (hostPort(prev.admin.listen) !== hostPort(next.admin.listen)) changed.push('admin.listen')
  if ((prev.admin.tls === undefined) !== (next.admin.tls === undefined)) changed.push('admin.listen.tls')
  if (prev.admin.token !== next.admin.token) changed.push('admin.token')
  if (JSON.stringify(prev.state) !== JSON.stringify(next.state)) changed.push('state')
  if (changed.length > 0) logger.warn({ keys: changed }, 'these config changes take effect at the next restart')
}
