import { describe, expect, it } from 'vitest'
import { backoffDelayMs } from '../../../src/util/backoff.js'
import { QUEUE_RECONNECT, STATE_STORE_RECONNECT } from '../../../src/util/redis-connection.js'
import { BROKER_RETRY, backoffMs } from '../../../src/dataplane/queue/backoff.js'

const attempts = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('backoffDelayMs', () => {
  it('the state store reconnects doubling from 100 ms (ioredis counts from 1), capped at 1 s', () => {
    expect(attempts(1, 7).map((t) => backoffDelayMs(t, STATE_STORE_RECONNECT)))
      .toEqual([100, 200, 400, 800, 1000, 1000, 1000])
    expect(backoffDelayMs(10_000, STATE_STORE_RECONNECT)).toBe(1000)
  })

  it('the queue adapters reconnect one 50 ms step more per attempt, capped at 1 s', () => {
    expect(attempts(1, 4).map((t) => backoffDelayMs(t, QUEUE_RECONNECT))).toEqual([50, 100, 150, 200])
    expect(attempts(19, 22).map((t) => backoffDelayMs(t, QUEUE_RECONNECT))).toEqual([950, 1000, 1000, 1000])
  })

  it('broker retries double from 100 ms to 5 s, spread ±20 % by the random draw', () => {
    const middle = (): number => 0.5
    expect(attempts(0, 7).map((a) => backoffDelayMs(a, BROKER_RETRY, middle)))
      .toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000])
    expect(backoffMs(3, () => 0)).toBe(640)
    expect(backoffMs(3, () => 1)).toBe(960)
    expect(backoffMs(1_000, () => 1)).toBe(6000)
  })
})
