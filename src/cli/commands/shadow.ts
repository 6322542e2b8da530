import { callAdmin } from '../admin-client.js'
import { EXIT } from '../exit-codes.js'
import { table } from '../io.js'
import type { Command } from '../command.js'
import { reportAdminError } from './status.js'

interface ShadowJson {
  compared: number
  matched: number
  mismatched: number
  errors: number
  skipped: number
  samples: Array<{
    at: string; method: string; path: string; old: { status: number }; new: { status: number }; diff: string[]
  }>
}

/** `sluice shadow NAME [-o json]`: a route's shadow counts and its last mismatches (README "Shadow traffic"). */
export const shadowCommand: Command = async (args, opts, io) => {
  const [name] = args
  if (!name) { io.err('usage: sluice shadow NAME [-o json]'); return EXIT.refused }
  try {
    const res = (await callAdmin({ url: opts.admin, token: opts.token }, 'GET', `/api/routes/${encodeURIComponent(name)}/shadow`)) as ShadowJson
    if (opts.output === 'json') { io.out(JSON.stringify(res, null, 2)); return EXIT.ok }
    const rate = res.compared + res.errors > 0 ? `${(100 * (res.mismatched + res.errors) / (res.compared + res.errors)).toFixed(2)} %` : '-'
    io.out(table(['COMPARED', 'MATCHED', 'MISMATCHED', 'ERRORS', 'SKIPPED', 'MISMATCH RATE'], [[
      String(res.compared), String(res.matched), String(res.mismatched), String(res.errors), String(res.skipped), rate,
    ]]))
    if (res.samples.length === 0) return EXIT.ok
    io.out('')
    io.out(table(['AT', 'REQUEST', 'OLD', 'NEW', 'DIFF'], res.samples.flatMap((s) => s.diff.map((line, i) => i === 0
      ? [s.at, `${s.method} ${s.path}`, String(s.old.status), String(s.new.status), line]
      : ['', '', '', '', line]))))
    return EXIT.ok
  } catch (err) {
    return reportAdminError(err, io)
  }
}
