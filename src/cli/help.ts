import type { CommandSpec } from './command.js'
import { OPTIONS, type OptionName } from './options.js'

/** `sluice --help`: every command with its arguments and summary. */
export function usage(commands: Readonly<Record<string, CommandSpec>>): string {
  const rows = Object.entries(commands).map(([name, spec]) => [`${name}${spec.args ? ` ${spec.args}` : ''}`, spec.summary] as const)
  const width = Math.min(26, Math.max(...rows.map(([left]) => left.length)))
  const lines = rows.map(([left, right]) => left.length > width ? `  ${left}\n  ${' '.repeat(width)}  ${right}` : `  ${left.padEnd(width)}  ${right}`)
  return `usage: sluice <command> [options]     (sluice <command> --help: its options and an example)

commands:
${lines.join('\n')}

exit codes: 0 done, 1 refused by sluice (message printed) or invalid config,
            2 admin plane unreachable, token refused, or wait timed out`
}

/** `sluice CMD --help`: usage line, what it does, its options, an example. */
export function commandHelp(name: string, spec: CommandSpec): string {
  const options: OptionName[] = [...spec.options, 'help']
  const left = (o: OptionName) => {
    const def = OPTIONS[o]
    const flag = `${'short' in def ? `-${def.short}, ` : '    '}--${o}`
    return 'arg' in def ? `${flag} ${def.arg}` : flag
  }
  const width = Math.max(...options.map((o) => left(o).length))
  return `usage: sluice ${name}${spec.args ? ` ${spec.args}` : ''} [options]

${spec.summary}

options:
${options.map((o) => `  ${left(o).padEnd(width)}  ${OPTIONS[o].help}`).join('\n')}

example:
  ${spec.example}`
}
