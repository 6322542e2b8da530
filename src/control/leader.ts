import type { Logger } from 'pino'
import type { StateStore } from '../state/store.js'
import type { Clock, Timer } from '../util/clock.js'

/** The lease's name in the store: one rollout controller per fleet. */
export const CONTROLLER_LEASE = 'controller'
/** Renew three times per lease time: two renewals may fail before the lease lapses. */
const RENEWALS_PER_TTL = 3

export interface LeaderDeps {
  readonly store: StateStore
  readonly clock: Clock
  readonly logger: Logger
  /** This replica's id, unique in the fleet. */
  readonly holder: string
  readonly ttlMs: number
  /** Told when this replica becomes or stops being the leader. */
  readonly onChange: (isLeader: boolean) => void
}

/**
 * Keeps trying to hold the controller lease: exactly one replica runs the rollout controller. A
 * renewal that fails (Redis down, lease taken) means "not the leader" at once, so a replica that
 * lost Redis stops deciding before another can start; a dead leader is replaced within `ttlMs`.
 */
export class LeaderLease {
  #leader = false
  #timer: Timer | undefined
  #busy = false

  constructor(private readonly deps: LeaderDeps) {}

  get isLeader(): boolean {
    return this.#leader
  }

  async start(): Promise<void> {
    await this.#renew()
    const renewEveryMs = Math.max(100, Math.floor(this.deps.ttlMs / RENEWALS_PER_TTL))
    this.#timer = this.deps.clock.every(renewEveryMs, () => { void this.#renew() })
  }

  /** Stop renewing and hand the lease over at once (a clean shutdown does not make the fleet wait). */
  async stop(): Promise<void> {
    this.#timer?.stop()
    this.#timer = undefined
    if (!this.#leader) return
    this.#set(false)
    await this.deps.store.releaseLease(CONTROLLER_LEASE, this.deps.holder).catch(() => undefined)
  }

  async #renew(): Promise<void> {
    if (this.#busy) return
    this.#busy = true
    try {
      this.#set(await this.deps.store.acquireLease(CONTROLLER_LEASE, this.deps.holder, this.deps.ttlMs))
    } catch {
      this.#set(false)
    } finally {
      this.#busy = false
    }
  }

  #set(leader: boolean): void {
    if (leader === this.#leader) return
    this.#leader = leader
    this.deps.logger.info({ holder: this.deps.holder }, leader ? 'this replica now runs the rollout controller (leader)' : 'this replica is no longer the leader')
    this.deps.onChange(leader)
  }
}
