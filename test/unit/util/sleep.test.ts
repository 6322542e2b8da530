import { describe, expect, it } from 'vitest'
import { sleep } from '../../../src/util/sleep.js'

describe('sleep', () => {
  it('resolves after its delay', async () => {
    let done = false
    const pending = sleep(5).then(() => { done = true })
    expect(done).toBe(false)
    await pending
    expect(done).toBe(true)
  })

  it('resolves at once when its signal aborts, and at once when it was already aborted', async () => {
    const stop = new AbortController()
    const long = sleep(60_000, stop.signal)
    stop.abort()
    await long
    await sleep(60_000, stop.signal)
  })
})
