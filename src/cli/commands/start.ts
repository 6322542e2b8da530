import { SluiceApp } from '../../app.js'
import { formatProblem, loadConfigFile } from '../../config/index.js'
import { isSluiceError } from '../../errors.js'
import { EXIT } from '../exit-codes.js'
import type { Command } from '../command.js'

/** `sluice start --config FILE`: run until SIGTERM/SIGINT; exit 0 after a clean drain. */
export const startCommand: Command = async (_args, opts, io) => {
  if (!opts.config) { io.err('sluice start: --config FILE is required'); return EXIT.refused }
  const loaded = await loadConfigFile(opts.config)
  if (!loaded.ok) {
    for (const p of loaded.problems) io.err(formatProblem(p))
    return EXIT.refused
  }
  let app: SluiceApp
  try {
    app = new SluiceApp({ config: loaded.config, configHash: loaded.hash, configSources: loaded.sources, configPath: opts.config, handleSignals: true })
    await app.start()
  } catch (err) {
    if (isSluiceError(err)) { io.err(`sluice: ${err.message} (${err.code})`); return EXIT.refused }
    throw err
  }
  return app.closed
}
