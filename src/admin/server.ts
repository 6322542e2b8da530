import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import type { ListenAddress, ListenerTls } from '../config/types.js'
import type { Commands } from '../control/commands.js'
import { historyJson, type RolloutFacts, type TargetConfig, type TargetSet } from '../control/status.js'
import type { TargetRef } from '../core/types.js'
import { SluiceError } from '../util/errors.js'
import { systemClock, type Clock } from '../util/clock.js'
import type { Recorder } from '../observe/metrics/recorder.js'
import type { StateStore } from '../state/store.js'
import { assertSecureListen, bearerCheck, dashboardCheck } from './auth.js'
import { browserGuard, needsJson, unsupportedMediaType, type BrowserGuard } from './guard.js'
import { errorReply, replyForError, send, type Reply } from './reply.js'
import { Router } from './router.js'
import { apiRoutes, describe, type WorkerOutcome } from './routes/api.js'
import { goalRoutes, type GoalDeps } from './routes/goals.js'
import { shadowRoutes } from './routes/shadow.js'
import type { ShadowReport } from '../observe/shadow.js'
import { dashboardRoutes } from './routes/dashboard.js'
import type { GroupSizes } from './group-sizes.js'
import { healthRoutes, type Readiness } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'
import { seriesRoutes } from './routes/series.js'
import { assetRoutes } from './routes/assets.js'
import type { SeriesBook } from '../observe/series.js'
import { ofrepRoutes, type OfrepDeps } from './routes/ofrep.js'

export interface AdminDeps {
  readonly listen: ListenAddress
  /** Speak HTTPS with this certificate (`admin.listen: { address, tls }`); absent = plain HTTP. */
  readonly tls?: ListenerTls | undefined
  /** undefined (or empty) = no authentication, allowed on loopback addresses only. */
  readonly token: string | undefined
  /** Extra Host names the plane answers to (admin.allowedHosts), beyond its listen address. */
  readonly allowedHosts?: readonly string[] | undefined
  readonly recorder: Recorder
  readonly commands: Commands
  readonly store: StateStore
  readonly targets: () => TargetSet
  readonly readiness: () => Readiness
  readonly logger: Logger
  /** The rollout controller's facts for status (next step, window, last verdict). */
  readonly rolloutFacts?: ((ref: TargetRef, cfg: TargetConfig) => RolloutFacts) | undefined
  /** Workers' job results for a queue (POST /api/queues/NAME/outcomes). */
  readonly reportOutcomes?: ((queue: string, outcomes: readonly WorkerOutcome[]) => void) | undefined
  /** Effective group sizes as the live views count them (group-sizes.ts). */
  readonly groupSizes: (ref: TargetRef) => GroupSizes | undefined
  /** Goal counts and the routes' live views for goal events (README "Judging business outcomes"). */
  readonly goals?: GoalDeps | undefined
  /** The time series of GET …/series and the dashboard's charts; absent in tests without one. */
  readonly series?: SeriesBook | undefined
  /** Shadow traffic's figures per route (README "Shadow traffic"); absent = the endpoint answers 404. */
  readonly shadowReport?: ((route: string) => ShadowReport | undefined) | undefined
  /** OpenFeature flag evaluation on the data plane's routes (README "Feature flags (OpenFeature)"). */
  readonly ofrep?: Omit<OfrepDeps, 'count'> | undefined
  /** The dashboard's cache clock (default: the system clock). */
  readonly clock?: Clock | undefined
}

/** The admin listener. `close` stops accepting and resolves once open connections are gone (bounded). */
export interface AdminServer {
  listen(): Promise<{ host: string; port: number }>
  /**
   * A renewed certificate (a reload): new handshakes use it, open connections keep theirs. A plane
   * started without TLS stays plain HTTP until a restart (app/log.ts says so).
   */
  setTls(tls: ListenerTls | undefined): void
  close(): Promise<void>
}

/** Admin calls are small and local; a client that dawdles longer is stuck or hostile. */
const HEADERS_TIMEOUT_MS = 10_000
const REQUEST_TIMEOUT_MS = 30_000
/** After this, connections still open at close (a stuck client) are cut so shutdown cannot hang. */
const CLOSE_GRACE_MS = 2_000
const API_PREFIX = '/api/'
/** OpenFeature evaluation answers who gets what: the same token as /api. */
const OFREP_PREFIX = '/ofrep/'
/**
 * Probes and Prometheus answer whatever the Host or Origin: kubelets and scrapers use pod IPs and
 * service names, and these paths change nothing and hold no user data.
 */
const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * Builds the admin plane. Throws SLUICE_ERR_ADMIN_INSECURE right away (before anything listens)
 * when the address is not loopback and there is no token. /api and the dashboard need the token
 * (when one is set): health probes and Prometheus scrape without one. Every path but the probes
 * passes the browser guard (guard.ts) first.
 */
export function createAdminServer(deps: AdminDeps): AdminServer {
  const token = deps.token === '' ? undefined : deps.token
  assertSecureListen(deps.listen, token)
  const router = buildRouter(deps)
  const gate: Gate = {
    guard: browserGuard(deps.listen, deps.allowedHosts),
    api: bearerCheck(token),
    dashboard: dashboardCheck(token),
  }
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res, router, gate, deps.logger)
  }
  // An https.Server is an http.Server over TLS sockets: everything below works on both.
  const https = deps.tls === undefined
    ? undefined
    : createHttpsServer({ cert: deps.tls.cert, key: deps.tls.key }, onRequest)
  const server: Server = https ?? createServer(onRequest)
  server.headersTimeout = HEADERS_TIMEOUT_MS
  server.requestTimeout = REQUEST_TIMEOUT_MS
  return {
    listen: () => listen(server, deps.listen),
    setTls: (tls) => { if (tls !== undefined) https?.setSecureContext({ cert: tls.cert, key: tls.key }) },
    close: () => close(server),
  }
}

/** Every endpoint of the plane for these deps (exported so a test can list them against docs/openapi.yaml). */
export function buildRouter(deps: AdminDeps): Router {
  const router = new Router()
  healthRoutes(router, deps.readiness)
  metricsRoutes(router, deps.recorder)
  const api = {
    commands: deps.commands,
    store: deps.store,
    targets: deps.targets,
    rolloutFacts: deps.rolloutFacts,
    reportOutcomes: deps.reportOutcomes,
    groupSizes: deps.groupSizes,
    goals: deps.goals?.goals,
    shadow: deps.shadowReport,
  }
  dashboardRoutes(router, {
    clock: deps.clock ?? systemClock,
    targets: () => {
      const set = deps.targets()
      return [
        ...set.routes.map((r) => describe({ kind: 'route', name: r.name }, api)),
        ...set.queues.map((q) => describe({ kind: 'queue', name: q.name }, api)),
      ]
    },
    history: async (ref, limit) => historyJson(await deps.store.history(ref, limit)),
  })
  apiRoutes(router, api)
  assetRoutes(router)
  if (deps.series !== undefined) seriesRoutes(router, { series: deps.series, targets: deps.targets })
  if (deps.goals !== undefined) goalRoutes(router, deps.goals)
  shadowRoutes(router, { targets: deps.targets, report: deps.shadowReport ?? (() => undefined) })
  if (deps.ofrep !== undefined) {
    ofrepRoutes(router, { ...deps.ofrep, count: (route, variant) => deps.recorder.flagEvaluation(route, variant) })
  }
  return router
}

/** The checks every request passes before its handler (see guard.ts and auth.ts). */
interface Gate {
  readonly guard: BrowserGuard
  readonly api: (authorization: string | undefined) => boolean
  readonly dashboard: (authorization: string | undefined) => boolean
}

async function handle(
  req: IncomingMessage, res: ServerResponse, router: Router, gate: Gate, logger: Logger,
): Promise<void> {
  let reply: Reply
  try {
    reply = await route(req, router, gate)
  } catch (err) {
    reply = replyForError(err) ?? internalError(err, req, logger)
  }
  // A refused body may still be arriving: close the connection instead of parsing the rest as a request.
  if (!req.complete) res.setHeader('connection', 'close')
  try {
    send(res, reply)
  } catch (err) {
    logger.error({ err }, 'admin reply could not be written')
    res.destroy()
  }
}

async function route(req: IncomingMessage, router: Router, gate: Gate): Promise<Reply> {
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const refused = PROBE_PATHS.has(path) ? undefined : gate.guard.check(req.headers) ?? authProblem(path, req, gate)
  if (refused !== undefined) return refused
  const match = router.match(req.method ?? 'GET', path)
  if (match.kind === 'none') throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no admin endpoint at ${path}`)
  if (match.kind === 'method') {
    const allow = match.allow.join(', ')
    return errorReply(405, 'method_not_allowed', `${req.method ?? ''} is not allowed on ${path}; use ${allow}`, { allow })
  }
  if (needsJson(req.method, req.headers['content-type'])) return unsupportedMediaType(req.headers['content-type'])
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1))
  return match.handler({ raw: req, path, query, params: match.params })
}

/** /api and /ofrep need the bearer token; the dashboard the token too (bearer or Basic), when one is set. */
function authProblem(path: string, req: IncomingMessage, gate: Gate): Reply | undefined {
  const authorization = req.headers.authorization
  if ((path === '/api' || path.startsWith(API_PREFIX) || path.startsWith(OFREP_PREFIX)) && !gate.api(authorization)) {
    return errorReply(401, 'unauthorized', 'missing or wrong bearer token: send Authorization: Bearer TOKEN (admin.token or SLUICE_ADMIN_TOKEN)', { 'www-authenticate': 'Bearer realm="sluice"' })
  }
  if (path === '/' && !gate.dashboard(authorization)) {
    return errorReply(401, 'unauthorized', 'the dashboard needs the admin token: log in with any user name and the token as password, or send Authorization: Bearer TOKEN', { 'www-authenticate': 'Basic realm="sluice dashboard", charset="UTF-8"' })
  }
  return undefined
}

function internalError(err: unknown, req: IncomingMessage, logger: Logger): Reply {
  logger.error({ err, method: req.method, path: req.url }, 'admin request failed')
  return errorReply(500, 'internal', 'internal error; the sluice log has the details')
}

function listen(server: Server, at: ListenAddress): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      reject(new SluiceError('SLUICE_ERR_LISTEN', `the admin plane cannot listen on ${at.host}:${at.port}: ${err.message}`, { cause: err }))
    }
    server.once('error', onError)
    server.listen(at.port, at.host, () => {
      server.off('error', onError)
      resolve({ host: at.host, port: (server.address() as AddressInfo).port })
    })
  })
}

function close(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve()
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
    force.unref()
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    // Since Node 19 close() also drops idle keep-alive sockets; saying so keeps intent explicit.
    server.closeIdleConnections()
  })
}
