let pending: Promise<void> | undefined

/**
 * Resolves once the current event-loop turn is over (setImmediate), one shared promise per turn.
 * Clients that write to their socket once per microtask flush (the NATS client) otherwise make one
 * system call per publish or ack when jobs become ready one continuation after another; waiting
 * here lets every job of the turn go out in one write, for the latency of one turn.
 */
export function endOfTurn(): Promise<void> {
  pending ??= new Promise((resolve) => setImmediate(() => {
    pending = undefined
    resolve()
  }))
  return pending
}
