export interface ReadinessFacts {
  /** start() finished and shutdown has not begun. */
  readonly started: boolean
  readonly listening: boolean
  /** Live state was loaded and the file's intent applied. */
  readonly stateLoaded: boolean
  readonly storeUp: boolean
  readonly stopping: boolean
}

export interface Readiness {
  ready: boolean
  checks: Record<string, boolean>
}

/**
 * Ready once listening with live state loaded. A store outage after that shows in the checks but
 * keeps the replica ready: it serves from its last snapshot, and taking every replica out of the
 * load balancer at once for a Redis blip would turn it into an outage.
 */
export function readinessOf(f: ReadinessFacts): Readiness {
  const checks = {
    config: true, listeners: f.listening, stateLoaded: f.stateLoaded,
    stateStore: f.storeUp, notShuttingDown: !f.stopping,
  }
  return { ready: f.started && f.stateLoaded && !f.stopping, checks }
}
