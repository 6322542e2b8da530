import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { VERSION } from '../version.js'
import { EXIT } from './exit-codes.js'
import { processIo, type Io } from './io.js'
import type { Command } from './command.js'
import { startCommand } from './commands/start.js'
import { validateCommand } from './commands/validate.js'
import { statusCommand } from './commands/status.js'
import { setPercentCommand } from './commands/set-percent.js'
import { historyCommand } from './commands/history.js'
import { healthcheckCommand } from './commands/healthcheck.js'
import { demoCommand } from './commands/demo.js'
import { leverCommand } from './commands/lever.js'
import { usersCommand } from './commands/users.js'
import { waitCommand } from './commands/wait.js'


const COMMANDS: Readonly<Record<string, Command>> = {
  start: startCommand,
  validate: validateCommand,
  status: statusCommand,
  'set-percent': setPercentCommand,
  history: historyCommand,
  pause: leverCommand('pause'),
  resume: leverCommand('resume'),
  promote: leverCommand('promote'),
  rollback: leverCommand('rollback'),
  users: usersCommand,
  wait: waitCommand,
  healthcheck: healthcheckCommand,
  demo: demoCommand,
}

/** Commands that run sluice themselves rather than call a running admin plane. */
const OWN_ADMIN_COMMANDS: ReadonlySet<string> = new Set(['start', 'validate', 'demo'])

export const USAGE = `usage: sluice <command> [options]

commands:
  start --config FILE            run the proxy (data plane and admin plane)
  validate --config FILE         check a config file: exit 0 if valid, else one line per problem
  status [-o json]               routes and queues: percent, state, step, last verdict
  set-percent NAME P [--reason]  set the share sent to new (0-100, two decimals)
  pause | resume NAME            hold an automatic rollout / continue it (after a rollback: from step 1)
  promote NAME                   100 % to new now (state completed)
  rollback NAME                  0 % to new now (state rolled_back)
  users add|remove NAME GROUP ID...   live group membership; users list NAME
  history NAME [-o json]         a route's or queue's events, oldest first
  wait NAME [--timeout D]        exit 0 when completed, 1 when rolled back, 2 on time-out (CI)
  (mutating commands take --reason TEXT, kept in the history)
  demo [--duration D]            two sample backends, sluice in front, synthetic traffic, a rollback
  demo --replicas 3 [--redis URL]   three replicas sharing one Redis (a private redis-server by default)
  healthcheck [--url URL]        exit 0 when the admin plane's /healthz answers (for Docker)

options for admin-talking commands:
  --admin URL    admin plane (default http://127.0.0.1:8081, or SLUICE_ADMIN_URL)
  --token T      bearer token (default: SLUICE_ADMIN_TOKEN)
  --cacert FILE  an https admin plane: trust the CA in this PEM file (default: SLUICE_ADMIN_CACERT;
                 else the system CAs and NODE_EXTRA_CA_CERTS)
  -o, --output   table | json

exit codes: 0 done, 1 refused by sluice (message printed) or invalid config,
            2 admin plane unreachable or token refused`

export async function run(argv: readonly string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        admin: { type: 'string' },
        token: { type: 'string' },
        cacert: { type: 'string' },
        output: { type: 'string', short: 'o' },
        reason: { type: 'string' },
        duration: { type: 'string' },
        timeout: { type: 'string' },
        replicas: { type: 'string' },
        redis: { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    })
  } catch (err) {
    io.err(`sluice: ${(err as Error).message}\n\n${USAGE}`)
    return EXIT.refused
  }
  const { values, positionals } = parsed
  if (values.version) { io.out(VERSION); return EXIT.ok }
  const [name, ...rest] = positionals
  if (values.help || name === undefined || name === 'help') { io.out(USAGE); return name === undefined && !values.help ? EXIT.refused : EXIT.ok }
  const command = COMMANDS[name]
  if (!command) { io.err(`sluice: unknown command '${name}'\n\n${USAGE}`); return EXIT.refused }
  const output = values.output ?? 'table'
  if (output !== 'table' && output !== 'json') { io.err(`sluice: --output must be table or json, not '${output}'`); return EXIT.refused }
  // Read only by the commands that call the admin plane: a CA file set for the CLI must not stop `start`.
  const cacert = OWN_ADMIN_COMMANDS.has(name) ? undefined : values.cacert ?? nonEmpty(env.SLUICE_ADMIN_CACERT)
  let adminCa: string | undefined
  if (cacert !== undefined) {
    try {
      adminCa = await readFile(cacert, 'utf8')
    } catch (err) {
      io.err(`sluice: cannot read --cacert ${cacert}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      return EXIT.refused
    }
  }
  return command(rest, {
    config: values.config ?? env.SLUICE_CONFIG,
    admin: values.admin ?? env.SLUICE_ADMIN_URL ?? 'http://127.0.0.1:8081',
    token: values.token ?? env.SLUICE_ADMIN_TOKEN,
    adminCa,
    output,
    reason: values.reason,
    duration: values.duration,
    timeout: values.timeout,
    replicas: values.replicas,
    redis: values.redis,
    url: values.url,
  }, io)
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v
}
