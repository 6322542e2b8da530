import { adminTarget, callTarget } from '../admin-client.js'
import { EXIT } from '../exit-codes.js'
import { table } from '../io.js'
import type { Command } from '../command.js'
import { reportAdminError } from './status.js'

interface EventJson {
  at: string
  actor: string
  reason?: string | null
  from: { percent: number; state: string }
  to: { percent: number; state: string }
}

/** `sluice history NAME [-o json]`: the events, oldest first. */
export const historyCommand: Command = async (args, opts, io) => {
  const [name] = args
  if (!name) { io.err('usage: sluice history NAME [-o json]'); return EXIT.refused }
  try {
    const res = (await callTarget(adminTarget(opts), 'GET', name, '/history')) as { events: EventJson[] }
    if (opts.output === 'json') { io.out(JSON.stringify(res, null, 2)); return EXIT.ok }
    if (res.events.length === 0) { io.out(`no events for ${name}`); return EXIT.ok }
    io.out(table(['AT', 'ACTOR', 'FROM', 'TO', 'REASON'], res.events.map((e) => [
      e.at, e.actor, `${e.from.percent}% ${e.from.state}`, `${e.to.percent}% ${e.to.state}`, e.reason ?? '',
    ])))
    return EXIT.ok
  } catch (err) {
    return reportAdminError(err, io)
  }
}
