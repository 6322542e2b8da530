import type { CommandSpec } from './command.js'
import { OPTIONS, type OptionName } from './options.js'

/**
 * Shell completion scripts, generated from the command specs so they can never drift from the CLI:
 * commands, each command's own options, the verbs of `users` and `completion`, files after
 * --config and --cacert, table|json after --output.
 */
export type Shell = 'bash' | 'zsh' | 'fish'

function flags(spec: CommandSpec): string[] {
  const names: OptionName[] = [...spec.options, 'help']
  return names.flatMap((o) => {
    const def = OPTIONS[o]
    return 'short' in def ? [`--${o}`, `-${def.short}`] : [`--${o}`]
  })
}

function bash(commands: Readonly<Record<string, CommandSpec>>): string {
  const cases = Object.entries(commands).map(([name, spec]) =>
    `    ${name}) opts="${flags(spec).join(' ')}"; verbs="${(spec.verbs ?? []).join(' ')}" ;;`).join('\n')
  return `# sluice bash completion: source <(sluice completion bash)
_sluice() {
  local cur prev cmd opts verbs
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${Object.keys(commands).join(' ')} --help --version" -- "$cur"))
    return
  fi
  case "$prev" in
    --config|-c|--cacert) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --output|-o) COMPREPLY=($(compgen -W "table json" -- "$cur")); return ;;
  esac
  cmd="\${COMP_WORDS[1]}"
  opts=""; verbs=""
  case "$cmd" in
${cases}
  esac
  if [[ "$cur" == -* || -z "$verbs" || "$COMP_CWORD" -gt 2 ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
  fi
}
complete -F _sluice sluice
`
}

/** zsh runs the bash function through its bash-compatibility layer: one script to keep right. */
function zsh(commands: Readonly<Record<string, CommandSpec>>): string {
  return `#compdef sluice
# sluice zsh completion: source <(sluice completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash(commands).split('\n').slice(1).join('\n')}`
}

function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

function fish(commands: Readonly<Record<string, CommandSpec>>): string {
  const lines = ['# sluice fish completion: sluice completion fish | source', 'complete -c sluice -f']
  for (const [name, spec] of Object.entries(commands)) {
    lines.push(`complete -c sluice -n __fish_use_subcommand -a ${name} -d ${fishQuote(spec.summary)}`)
    for (const verb of spec.verbs ?? []) lines.push(`complete -c sluice -n '__fish_seen_subcommand_from ${name}' -a ${verb}`)
    for (const o of [...spec.options, 'help'] as OptionName[]) {
      const def = OPTIONS[o]
      const short = 'short' in def ? ` -s ${def.short}` : ''
      const arg = def.type === 'string' ? (o === 'config' || o === 'cacert' ? ' -r -F' : o === 'output' ? " -r -a 'table json'" : ' -r') : ''
      lines.push(`complete -c sluice -n '__fish_seen_subcommand_from ${name}'${short} -l ${o}${arg} -d ${fishQuote(def.help)}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export function completionScript(shell: Shell, commands: Readonly<Record<string, CommandSpec>>): string {
  return shell === 'bash' ? bash(commands) : shell === 'zsh' ? zsh(commands) : fish(commands)
}
