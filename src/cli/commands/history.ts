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
  figures?: { outside?: { kind: string; summary: string }[] }
}

/** `sluice history NAME [-o json]`: the events, oldest first. */
export const historyCommand: Command = async (args, opts, io) => {
  const [name] = args
  if (!name) { io.err('usage: sluice history NAME [-o json]'); return EXIT.refused }
  try {
    const res = (await callTarget(adminTarget(opts), 'GET', name, '/history')) as { events: EventJson[] }
    if (opts.output === 'json') { io.out(JSON.stringify(res, null, 2)); return EXIT.ok }
    if (res.events.length === 0) { io.out(`no events for ${name}`); return EXIT.ok }
    const rows = res.events.map((e) => [e.at, e.actor, `${e.from.percent}% ${e.from.state}`, `${e.to.percent}% ${e.to.state}`, e.reason ?? ''])
    // Goal figures (README "Judging business outcomes") get a column only when some event has them.
    const goals = res.events.map(goalFigures)
    if (goals.some((g) => g !== '')) io.out(table(['AT', 'ACTOR', 'FROM', 'TO', 'REASON', 'GOALS'], rows.map((r, i) => [...r, goals[i]!])))
    else io.out(table(['AT', 'ACTOR', 'FROM', 'TO', 'REASON'], rows))
    return EXIT.ok
  } catch (err) {
    return reportAdminError(err, io)
  }
}

/** The goals judged with an analysis event, one summary each: "purchase fell 25 % (interval −31 % … −18 %)". */
function goalFigures(e: EventJson): string {
  return (e.figures?.outside ?? []).filter((c) => c.kind === 'goal').map((c) => c.summary).join('; ')
}
