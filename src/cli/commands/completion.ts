import type { Command, CommandSpec } from '../command.js'
import { completionScript } from '../completion.js'
import { EXIT } from '../exit-codes.js'

/** `sluice completion bash|zsh|fish`, built from `commands` (the specs, which list this one too). */
export function completionCommand(commands: () => Readonly<Record<string, CommandSpec>>): Command {
  return async (args, _opts, io) => {
    const [shell] = args
    if (shell !== 'bash' && shell !== 'zsh' && shell !== 'fish') {
      io.err('usage: sluice completion bash|zsh|fish')
      return EXIT.refused
    }
    io.out(completionScript(shell, commands()))
    return EXIT.ok
  }
}
