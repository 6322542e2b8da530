import { SluiceApp, type Addresses } from '../../src/app/index.js'
import { loadConfigFile, loadConfigText } from '../../src/config/index.js'
import { createLogger, type Logger } from '../../src/observe/log.js'

export interface StartedApp {
  readonly app: SluiceApp
  /** 'http://127.0.0.1:PORT' of the data plane and of the admin plane. */
  readonly data: string
  readonly admin: string
}

/**
 * An in-process test config: both planes on port 0, no drain delay, a 1 s shutdown, then `rest`
 * (state, routes, queues…); `token` guards the admin plane.
 */
export function appConfig(rest: string, opts: { readonly token?: string } = {}): string {
  const token = opts.token === undefined ? '' : `, token: ${opts.token}`
  return `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0${token} }\nshutdown: { drainDelay: 0s, timeout: 1s }\n${rest}`
}

export interface StartAppOptions {
  readonly seriesResolutionMs?: number
  /** The rollout controller's tick (the product's default 1 s unless given). */
  readonly tickMs?: number
}

/**
 * A SluiceApp in this test's process from YAML text (listeners on port 0), started, with a silent
 * logger. An invalid config throws with its problems. Stop it with `app.shutdown('test')`.
 */
export async function startApp(yaml: string, opts: StartAppOptions = {}): Promise<StartedApp> {
  const loaded = await loadConfigText(yaml, 'test.yaml', {})
  if (!loaded.ok) throw new Error(`invalid test config: ${JSON.stringify(loaded.problems)}`)
  const app = new SluiceApp({
    config: loaded.config, configHash: loaded.hash, logger: createLogger({ level: 'silent' }),
    ...(opts.seriesResolutionMs === undefined ? {} : { seriesResolutionMs: opts.seriesResolutionMs }),
    ...(opts.tickMs === undefined ? {} : { tickMs: opts.tickMs }),
  })
  return addressesOf(app, await app.start())
}

/**
 * A SluiceApp from a config file (which it reloads from, as `sluice start` does), started, with a
 * silent logger unless given one. Stop it with `app.shutdown('test')`; the file is the caller's.
 */
export async function startAppFromFile(path: string, opts: { readonly logger?: Logger } = {}): Promise<StartedApp> {
  const loaded = await loadConfigFile(path, {})
  if (!loaded.ok) throw new Error(`invalid test config: ${JSON.stringify(loaded.problems)}`)
  const app = new SluiceApp({
    config: loaded.config, configHash: loaded.hash, configSources: loaded.sources, configPath: path,
    logger: opts.logger ?? createLogger({ level: 'silent' }),
  })
  return addressesOf(app, await app.start())
}

function addressesOf(app: SluiceApp, addr: Addresses): StartedApp {
  return { app, data: `http://127.0.0.1:${addr.data.port}`, admin: `http://127.0.0.1:${addr.admin.port}` }
}
