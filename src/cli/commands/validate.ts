import { formatProblem, loadConfigFile } from '../../config/index.js'
import { EXIT } from '../exit-codes.js'
import type { Command } from '../command.js'

/**
 * `sluice validate --config FILE [-o json]`: exit 0 if valid, else exit 1 and `FILE:LINE:COL: path:
 * message` lines; with `-o json` one document either way, for CI annotations and editors.
 */
export const validateCommand: Command = async (_args, opts, io) => {
  if (!opts.config) { io.err('sluice validate: --config FILE is required'); return EXIT.refused }
  const result = await loadConfigFile(opts.config)
  if (opts.output === 'json') {
    const json = result.ok
      ? {
        file: opts.config, valid: true,
        routes: result.config.routes.length, queues: result.config.queues.length, problems: [],
      }
      : {
        file: opts.config, valid: false,
        problems: result.problems.map((p) => ({ line: p.line, column: p.col, path: p.path, message: p.message })),
      }
    io.out(JSON.stringify(json, null, 2))
    return result.ok ? EXIT.ok : EXIT.refused
  }
  if (result.ok) {
    io.out(`${opts.config}: valid (${result.config.routes.length} routes, ${result.config.queues.length} queues)`)
    return EXIT.ok
  }
  for (const p of result.problems) io.out(formatProblem(p))
  return EXIT.refused
}
