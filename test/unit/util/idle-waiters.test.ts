import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { IdleWaiters } from '../../../src/util/idle-waiters.js'

describe('IdleWaiters', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  it('resolves at once when already idle', async () => {
    await expect(new IdleWaiters().wait(true, 1_000)).resolves.toBe(true)
  })

  it('resolves true at idle(), and a later idle() finds nobody waiting', async () => {
    const w = new IdleWaiters()
    const p = w.wait(false, 1_000)
    w.idle()
    await expect(p).resolves.toBe(true)
    w.idle()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('resolves false when the timeout passes first, and forgets the waiter', async () => {
    const w = new IdleWaiters()
    const p = w.wait(false, 500)
    await vi.advanceTimersByTimeAsync(499)
    let settled = false
    void p.then(() => { settled = true })
    await Promise.resolve()
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await expect(p).resolves.toBe(false)
    w.idle() // must not resolve the timed-out waiter a second time or throw
  })

  it('serves several waiters at once, each with its own deadline', async () => {
    const w = new IdleWaiters()
    const short = w.wait(false, 100)
    const long = w.wait(false, 10_000)
    await vi.advanceTimersByTimeAsync(100)
    await expect(short).resolves.toBe(false)
    w.idle()
    await expect(long).resolves.toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })
})
