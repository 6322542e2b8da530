import { parseDuration } from '../../util/duration.js'
import { AdminCallError, adminTarget, callTarget } from '../admin-client.js'
import type { CliOptions, Command } from '../command.js'
import type { Io } from '../io.js'
import { EXIT } from '../exit-codes.js'
import { analysisSection, goalsSection, statusTable, type TargetJson } from './status.js'
import { sleep } from '../../util/sleep.js'

const POLL_MS = 1000
/** --watch redraws the target like `status NAME --watch`. */
const WATCH_POLL_MS = 2000
const DEFAULT_TIMEOUT = '1h'

/**
 * `sluice wait NAME [--timeout D]` for CI pipelines: exit 0 when the rollout is `completed`,
 * 1 when `rolled_back`, 2 on time-out. An unreachable admin plane is retried until the time-out
 * (a deploy may restart sluice); a refused token or an unknown name end it at once.
 */
export const waitCommand: Command = async (args, opts, io) => {
  const [name] = args
  if (!name) { io.err('usage: sluice wait NAME [--timeout D]   (exit 0 completed, 1 rolled_back, 2 time-out)'); return EXIT.refused }
  const deadline = Date.now() + parseDuration(opts.timeout ?? DEFAULT_TIMEOUT)
  let last = ''
  for (;;) {
    try {
      const t = (await callTarget(adminTarget(opts), 'GET', name, '')) as TargetJson
      const final = t.state === 'completed' || t.state === 'rolled_back'
      progress(t, opts, io, last)
      last = `${t.kind} ${t.name}: ${t.state} at ${t.percent}%`
      // -o json: one document, the target as it ended (or as it stood at the time-out, below).
      if (final && opts.output === 'json') io.out(JSON.stringify(t, null, 2))
      if (t.state === 'completed') return EXIT.ok
      if (t.state === 'rolled_back') return EXIT.refused
    } catch (err) {
      if (!(err instanceof AdminCallError)) throw err
      if (err.status !== undefined) { io.err(`sluice: ${err.message}`); return err.exitCode }
      if (last !== 'unreachable') io.err(`sluice: ${err.message}; retrying`)
      last = 'unreachable'
    }
    if (Date.now() + POLL_MS > deadline) {
      io.err(`sluice: timed out waiting for ${name} to complete`)
      return EXIT.unreachable
    }
    await sleep(opts.watch ? WATCH_POLL_MS : POLL_MS)
  }
}

/** One line per change of state or percent; with --watch the whole target, redrawn. Nothing with -o json. */
function progress(t: TargetJson, opts: CliOptions, io: Io, last: string): void {
  if (opts.output === 'json') return
  if (opts.watch) {
    const text = statusTable([t]) + analysisSection(t) + goalsSection(t.kind === 'route' ? [t] : [])
    io.out(io.isTTY ? `\x1b[H\x1b[2J${text}` : `--- ${new Date().toISOString()}\n${text}`)
    return
  }
  const line = `${t.kind} ${t.name}: ${t.state} at ${t.percent}%`
  if (line !== last) io.out(line)
}
