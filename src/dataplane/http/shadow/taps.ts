/**
 * The seams between the client's request and its shadow call (README "Shadow traffic"): what the
 * upstream leg hands over as it relays, without waiting for anything. Kept apart from the shadow
 * leg itself so the upstream leg's state names them without importing it.
 */

/** The client's request body as old receives it (upstream-leg/lazy-body.ts). */
export interface BodyTap {
  bodyData(chunk: Buffer): void
  bodyEnd(): void
  /** The client went away mid-body. */
  bodyAbort(): void
}

/** Old's answer as it is relayed to the client (upstream-leg/relay.ts, outcome.ts). */
export interface OldAnswerTap extends BodyTap {
  oldHead(status: number, headers: Record<string, string | string[] | undefined>): void
  oldData(chunk: Buffer): void
  oldEnd(): void
  /** The client's response closed: if old's answer did not end first, there is nothing to compare. */
  oldClosed(): void
}
