import { SluiceApp } from '../../app/index.js'
import { formatProblem, loadConfigFile } from '../../config/index.js'
import { isSluiceError } from '../../util/errors.js'
import { EXIT } from '../exit-codes.js'
import { FaultPolicy } from '../fault-policy.js'
import type { Command } from '../command.js'

/**
 * `sluice start --config FILE`: run until SIGTERM/SIGINT; exit 0 after a clean drain. Start is all
 * or nothing: a failure (a port taken, a fault during start) exits 1 with nothing left running.
 */
export const startCommand: Command = async (_args, opts, io) => {
  if (!opts.config) { io.err('sluice start: --config FILE is required'); return EXIT.refused }
  const loaded = await loadConfigFile(opts.config)
  if (!loaded.ok) {
    for (const p of loaded.problems) io.err(formatProblem(p))
    return EXIT.refused
  }
  let app: SluiceApp
  try {
    app = new SluiceApp({
      config: loaded.config,
      configHash: loaded.hash,
      configSources: loaded.sources,
      configPath: opts.config,
      handleSignals: true,
    })
  } catch (err) {
    return refused(err, io.err)
  }
  const policy = new FaultPolicy({
    logger: app.logger, count: (source) => app.recorder.internalError(source),
  }).install()
  try {
    const fault = await Promise.race([app.start().then(() => undefined), policy.fatal])
    if (fault !== undefined) { io.err(`sluice: internal error during start: ${fault.message}`); return EXIT.refused }
  } catch (err) {
    return refused(err, io.err)
  }
  policy.serving()
  return app.closed
}

/** A refusal sluice explains (its code) ends with 1; anything else is a bug: main.ts prints it, exit 1. */
function refused(err: unknown, print: (line: string) => void): number {
  if (!isSluiceError(err)) throw err
  print(`sluice: ${err.message} (${err.code})`)
  return EXIT.refused
}
