import type { ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/**
 * External tools some tests use as oracles or linters (nginx, promtool, redis-server), found the
 * same way by every test: an explicit override in `envVar` if set (missing there means missing:
 * a typo must not silently fall back), else the first on PATH, else a well-known location (Debian
 * puts nginx in /usr/sbin, which is not on every user's PATH). Undefined when absent: the test
 * then skips with `missingReason`, which `scripts/run-tests.mjs` refuses in CI.
 */
export function findExecutable(
  name: string, opts: { envVar?: string; wellKnown?: readonly string[] } = {},
): string | undefined {
  const override = opts.envVar === undefined ? undefined : process.env[opts.envVar]
  if (override !== undefined && override !== '') return isExecutable(override) ? override : undefined
  const fromPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name))
  return [...fromPath, ...(opts.wellKnown ?? [])].find(isExecutable)
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Why a test that needs `tool` skipped, with what installs it (`.ci/run` does in CI). */
export function missingReason(tool: string, debianPackage: string): string {
  return `${tool} is not installed (Debian package "${debianPackage}"; .ci/run installs it)`
}

export const PROMTOOL = findExecutable('promtool', { envVar: 'PROMTOOL', wellKnown: ['/usr/bin/promtool', '/usr/local/bin/promtool'] })
export const NO_PROMTOOL_REASON = missingReason('promtool', 'prometheus')

/** SIGKILLs a server a test spawned (an outage, no clean shutdown) and resolves once it has exited. */
export async function killHard(proc: ChildProcess | undefined): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve())
    proc.kill('SIGKILL')
  })
}
