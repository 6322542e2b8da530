import { adminTarget, callTarget } from '../admin-client.js'
import { EXIT } from '../exit-codes.js'
import type { Command } from '../command.js'
import { reportAdminError, type TargetJson } from './status.js'

/** `sluice set-percent NAME P [--reason TEXT]`. */
export const setPercentCommand: Command = async (args, opts, io) => {
  const [name, raw] = args
  const percent = Number(raw)
  if (!name || raw === undefined || raw.trim() === '' || !Number.isFinite(percent)) {
    io.err('usage: sluice set-percent NAME PERCENT [--reason TEXT]   (PERCENT: 0-100, up to two decimals)')
    return EXIT.refused
  }
  try {
    const body = opts.reason === undefined ? { percent } : { percent, reason: opts.reason }
    const t = (await callTarget(adminTarget(opts), 'PUT', name, '/percent', body)) as TargetJson
    io.out(opts.output === 'json' ? JSON.stringify(t, null, 2) : `${t.kind} ${t.name}: ${t.percent}% to new (state ${t.state})`)
    return EXIT.ok
  } catch (err) {
    return reportAdminError(err, io)
  }
}
