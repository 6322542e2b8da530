/** CLI exit codes (README, CLI): the same for every admin-talking command. */
export const EXIT = {
  ok: 0,
  /** sluice refused the request (its message is printed), or the config is invalid. */
  refused: 1,
  /** The admin plane cannot be reached, or the token was refused; the message says which. */
  unreachable: 2,
} as const
