import { formatProblem, loadConfigFile } from '../../config/index.js'
import { EXIT } from '../exit-codes.js'
import type { Command } from '../command.js'

/** `sluice validate --config FILE`: exit 0 if valid, else exit 1 and `FILE:LINE:COL: path: message` lines. */
export const validateCommand: Command = async (_args, opts, io) => {
  if (!opts.config) { io.err('sluice validate: --config FILE is required'); return EXIT.refused }
  const result = await loadConfigFile(opts.config)
  if (result.ok) {
    io.out(`${opts.config}: valid (${result.config.routes.length} routes, ${result.config.queues.length} queues)`)
    return EXIT.ok
  }
  for (const p of result.problems) io.out(formatProblem(p))
  return EXIT.refused
}
