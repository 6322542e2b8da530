import { SluiceApp } from '../../src/app/index.js'
import { loadConfigText } from '../../src/config/index.js'
import { createLogger } from '../../src/observe/log.js'

export interface StartedApp {
  readonly app: SluiceApp
  /** 'http://127.0.0.1:PORT' of the data plane and of the admin plane. */
  readonly data: string
  readonly admin: string
}

/**
 * A SluiceApp in this test's process from YAML text (listeners on port 0), started, with a silent
 * logger. An invalid config throws with its problems. Stop it with `app.shutdown('test')`.
 */
export async function startApp(yaml: string, opts: { readonly seriesResolutionMs?: number } = {}): Promise<StartedApp> {
  const loaded = await loadConfigText(yaml, 'test.yaml', {})
  if (!loaded.ok) throw new Error(`invalid test config: ${JSON.stringify(loaded.problems)}`)
  const app = new SluiceApp({
    config: loaded.config, configHash: loaded.hash, logger: createLogger({ level: 'silent' }),
    ...(opts.seriesResolutionMs === undefined ? {} : { seriesResolutionMs: opts.seriesResolutionMs }),
  })
  const addr = await app.start()
  return { app, data: `http://127.0.0.1:${addr.data.port}`, admin: `http://127.0.0.1:${addr.admin.port}` }
}
