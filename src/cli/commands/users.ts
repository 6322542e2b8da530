import { adminTarget, callAdmin, callTarget } from '../admin-client.js'
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { table } from '../io.js'
import { reportAdminError } from './status.js'

type Groups = Record<string, { backend: string; users: string[] }>

const USAGE = 'usage: sluice users add|remove NAME GROUP ID... | sluice users list NAME'

/** `sluice users add|remove NAME GROUP ID…` and `sluice users list NAME`: live group membership. */
export const usersCommand: Command = async (args, opts, io) => {
  const [verb, name, group, ...ids] = args
  const target = adminTarget(opts)
  try {
    if (verb === 'list' && name) return list(await callTarget(target, 'GET', name, '/groups') as { groups: Groups }, opts.output, io.out)
    if ((verb !== 'add' && verb !== 'remove') || !name || !group || ids.length === 0) { io.err(USAGE); return EXIT.refused }
    // Resolve route-or-queue once, then edit each id; stop at the first refusal.
    const kind = await kindOf(target, name)
    const done: Array<{ id: string; members: number }> = []
    for (const id of ids) {
      const path = `/api/${kind}s/${encodeURIComponent(name)}/groups/${encodeURIComponent(group)}/users/${encodeURIComponent(id)}`
      const r = (await callAdmin(target, verb === 'add' ? 'PUT' : 'DELETE', path)) as { members: number }
      done.push({ id, members: r.members })
      if (opts.output === 'table') io.out(`${verb === 'add' ? 'added' : 'removed'} ${id} ${verb === 'add' ? 'to' : 'from'} ${name}/${group} (${r.members} members)`)
    }
    if (opts.output === 'json') io.out(JSON.stringify({ [kind]: name, group, [verb === 'add' ? 'added' : 'removed']: done.map((d) => d.id), members: done.at(-1)?.members ?? 0 }, null, 2))
    return EXIT.ok
  } catch (err) {
    return reportAdminError(err, io)
  }
}

async function kindOf(target: { url: string; token: string | undefined }, name: string): Promise<'route' | 'queue'> {
  const t = (await callTarget(target, 'GET', name, '')) as { kind: 'route' | 'queue' }
  return t.kind
}

function list(res: { groups: Groups }, output: 'table' | 'json', out: (s: string) => void): number {
  if (output === 'json') { out(JSON.stringify(res, null, 2)); return EXIT.ok }
  const rows = Object.entries(res.groups).flatMap(([g, v]) => v.users.length === 0 ? [[g, v.backend, '(none)']] : v.users.map((u) => [g, v.backend, u]))
  out(rows.length === 0 ? 'no groups configured' : table(['GROUP', 'BACKEND', 'USER'], rows))
  return EXIT.ok
}


