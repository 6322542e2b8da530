import { request } from 'undici'
import { adminDispatcher } from '../admin-client.js'
import { EXIT } from '../exit-codes.js'
import type { Command } from '../command.js'

/** For Docker's HEALTHCHECK (no curl or shell needed): exit 0 when /healthz answers 200. */
export const healthcheckCommand: Command = async (_args, opts, io) => {
  const url = opts.url ?? new URL('/healthz', opts.admin).toString()
  try {
    const dispatcher = adminDispatcher(opts.adminCa)
    const res = await request(url, { headersTimeout: 3000, bodyTimeout: 3000, ...(dispatcher ? { dispatcher } : {}) })
    await res.body.dump()
    if (opts.output === 'json') io.out(JSON.stringify({ url, healthy: res.statusCode === 200, status: res.statusCode }))
    if (res.statusCode === 200) return EXIT.ok
    io.err(`unhealthy: ${url} answered ${res.statusCode}`)
    return EXIT.refused
  } catch (err) {
    if (opts.output === 'json') io.out(JSON.stringify({ url, healthy: false, status: null, error: (err as Error).message }))
    io.err(`unhealthy: cannot reach ${url}: ${(err as Error).message}`)
    return EXIT.unreachable
  }
}
