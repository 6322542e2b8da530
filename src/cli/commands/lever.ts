import { adminTarget, callTarget } from '../admin-client.js'
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { reportAdminError, type TargetJson } from './status.js'

/** `sluice pause|resume|promote|rollback NAME [--reason TEXT]`: one command per manual lever. */
export function leverCommand(lever: 'pause' | 'resume' | 'promote' | 'rollback'): Command {
  return async (args, opts, io) => {
    const [name] = args
    if (!name) { io.err(`usage: sluice ${lever} NAME [--reason TEXT]`); return EXIT.refused }
    try {
      const body = opts.reason === undefined ? undefined : { reason: opts.reason }
      const t = (await callTarget(adminTarget(opts), 'POST', name, `/${lever}`, body)) as TargetJson
      io.out(opts.output === 'json' ? JSON.stringify(t, null, 2) : `${t.kind} ${t.name}: ${t.state}, ${t.percent}% to new`)
      return EXIT.ok
    } catch (err) {
      return reportAdminError(err, io)
    }
  }
}
