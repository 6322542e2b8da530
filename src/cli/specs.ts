import type { CommandSpec } from './command.js'
import { completionCommand } from './commands/completion.js'
import { demoCommand } from './commands/demo.js'
import { healthcheckCommand } from './commands/healthcheck.js'
import { historyCommand } from './commands/history.js'
import { leverCommand } from './commands/lever.js'
import { setPercentCommand } from './commands/set-percent.js'
import { shadowCommand } from './commands/shadow.js'
import { startCommand } from './commands/start.js'
import { statusCommand } from './commands/status.js'
import { usersCommand } from './commands/users.js'
import { validateCommand } from './commands/validate.js'
import { waitCommand } from './commands/wait.js'
import { ADMIN_OPTIONS } from './options.js'

/** Every command, in the order `sluice --help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  start: {
    run: startCommand, summary: 'run the proxy (data plane and admin plane) until SIGTERM', args: '',
    options: ['config'], example: 'sluice start --config /etc/sluice/sluice.yaml',
  },
  validate: {
    run: validateCommand, summary: 'check a config file: exit 0 if valid, else one FILE:LINE:COL line per problem', args: '',
    options: ['config', 'output'], example: 'sluice validate --config sluice.yaml -o json',
  },
  status: {
    run: statusCommand, summary: 'routes and queues (or one, by NAME): percent, state, step, last verdict, goals', args: '[NAME]',
    options: [...ADMIN_OPTIONS, 'watch'], example: 'sluice status checkout --watch',
  },
  'set-percent': {
    run: setPercentCommand, summary: 'set the share sent to new (0-100, up to two decimals); takes a rollout over by hand', args: 'NAME PERCENT',
    options: [...ADMIN_OPTIONS, 'reason'], example: 'sluice set-percent checkout 12.5 --reason "more traffic"',
  },
  pause: {
    run: leverCommand('pause'), summary: 'hold an automatic rollout at its percent', args: 'NAME',
    options: [...ADMIN_OPTIONS, 'reason'], example: 'sluice pause checkout --reason "black friday"',
  },
  resume: {
    run: leverCommand('resume'), summary: 'continue a held rollout (after a rollback: from step 1)', args: 'NAME',
    options: [...ADMIN_OPTIONS, 'reason'], example: 'sluice resume checkout',
  },
  promote: {
    run: leverCommand('promote'), summary: '100 % to new now (state completed)', args: 'NAME',
    options: [...ADMIN_OPTIONS, 'reason'], example: 'sluice promote checkout --reason "verified by QA"',
  },
  rollback: {
    run: leverCommand('rollback'), summary: '0 % to new now (state rolled_back)', args: 'NAME',
    options: [...ADMIN_OPTIONS, 'reason'], example: 'sluice rollback checkout --reason "support tickets"',
  },
  users: {
    run: usersCommand, summary: 'live group membership: add or remove ids, or list the groups', args: 'add|remove NAME GROUP ID... | list NAME',
    options: ADMIN_OPTIONS, example: 'sluice users add checkout beta bob@example.com', verbs: ['add', 'remove', 'list'],
  },
  history: {
    run: historyCommand, summary: "a route's or queue's events with their figures, oldest first", args: 'NAME',
    options: ADMIN_OPTIONS, example: 'sluice history checkout -o json',
  },
  shadow: {
    run: shadowCommand, summary: "a route's shadow calls: counts and the last mismatches with their diff", args: 'NAME',
    options: ADMIN_OPTIONS, example: 'sluice shadow checkout -o json',
  },
  wait: {
    run: waitCommand, summary: 'for CI: exit 0 when the rollout completed, 1 when rolled back, 2 on time-out', args: 'NAME',
    options: [...ADMIN_OPTIONS, 'timeout', 'watch'], example: 'sluice wait checkout --timeout 8h',
  },
  demo: {
    run: demoCommand, summary: 'two sample backends, sluice in front, traffic, a regression and the automatic rollback (checkout: a new side that sells less, rolled back on its purchase goal)', args: '[checkout]',
    options: ['duration', 'replicas', 'redis'], example: 'sluice demo checkout --duration 30s', verbs: ['checkout'],
  },
  healthcheck: {
    run: healthcheckCommand, summary: "exit 0 when the admin plane's /healthz answers (Docker HEALTHCHECK)", args: '',
    options: ['admin', 'cacert', 'url', 'output'], example: 'sluice healthcheck --admin http://127.0.0.1:8081',
  },
  completion: {
    run: completionCommand(() => COMMANDS), summary: 'print a shell completion script', args: 'bash|zsh|fish',
    options: [], example: 'source <(sluice completion bash)', verbs: ['bash', 'zsh', 'fish'],
  },
}
