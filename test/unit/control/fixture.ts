import type { QueueConfig, RouteConfig } from '../../../src/config/types.js'
import { Commands } from '../../../src/control/commands.js'
import type { RolloutState, TargetRef } from '../../../src/core/types.js'
import type { Outcome } from '../../../src/observe/events.js'
import type { Recorder, TotalsReader } from '../../../src/observe/metrics/recorder.js'
import { recordLiveState } from '../../../src/observe/live-gauges.js'
import { MemoryStateStore } from '../../../src/state/memory.js'
import { ManualClock } from '../../../src/util/clock.js'
import { captureLogger } from '../../helpers/admin.js'

/** Remembers the last percent and state reported per target, nothing else. */
export class FakeRecorder implements Recorder {
  readonly contentType = 'text/plain'
  readonly percents = new Map<string, number>()
  readonly states = new Map<string, RolloutState>()
  setTargets(): void {}
  async addTargets(): Promise<void> {}
  async retainTargets(): Promise<void> {}
  outcome(_o: Outcome): void {}
  percent(ref: TargetRef, percentBp: number): void { this.percents.set(`${ref.kind}/${ref.name}`, percentBp) }
  rolloutState(ref: TargetRef, state: RolloutState): void { this.states.set(`${ref.kind}/${ref.name}`, state) }
  rollback(): void {}
  configReload(): void {}
  stateStoreUp(): void {}
  leader(): void {}
  flagEvaluation(): void {}
  queueBacklog(): void {}
  internalError(): void {}
  metricCheckError(): void {}
  readonly deliveries: string[] = []
  webhookDelivery(result: string): void { this.deliveries.push(result) }
  watchGoals(): void {}
  watchAnalysis(): void {}
  async totals(): Promise<TotalsReader> { return () => undefined }
  shadowSeries(): undefined { return undefined }
  async render(): Promise<string> { return '' }
}

export interface Targets { routes: RouteConfig[]; queues: QueueConfig[] }

/** Commands over a MemoryStateStore and a ManualClock; `targets` may be replaced to simulate a reload. */
export function commandsFixture(targets: Targets, store = new MemoryStateStore()) {
  const clock = new ManualClock(Date.UTC(2026, 4, 4, 9, 0, 0))
  const recorder = new FakeRecorder()
  const { logger, lines } = captureLogger()
  const state = { targets }
  const commands = new Commands({ store, clock, logger, recorder, targets: () => state.targets })
  // As app.ts wires it: the gauges follow the store, not the command that changed it.
  store.onChange(() => recordLiveState(recorder, state.targets, store.snapshot()))
  return { commands, store, clock, recorder, logs: lines, state }
}
