import { describe, expect, it } from 'vitest'
import { Batcher, MAX_BATCH } from '../../../src/dataplane/queue/batcher.js'

describe('Batcher', () => {
  it('sends the calls of one turn as one flush, in order', async () => {
    const flushes: number[][] = []
    const b = new Batcher<number>(async (items) => { flushes.push([...items]) })
    await Promise.all([1, 2, 3].map((n) => b.add(n)))
    await b.add(4)
    expect(flushes).toEqual([[1, 2, 3], [4]])
  })

  it('splits a large turn into batches of at most MAX_BATCH', async () => {
    const sizes: number[] = []
    const b = new Batcher<number>(async (items) => { sizes.push(items.length) })
    await Promise.all(Array.from({ length: MAX_BATCH * 2 + 1 }, (_, i) => b.add(i)))
    expect(sizes).toEqual([MAX_BATCH, MAX_BATCH, 1])
  })

  it('rejects every caller of a failed batch, and the next batch starts clean', async () => {
    let fail = true
    const b = new Batcher<number>(async () => { if (fail) throw new Error('down') })
    const results = await Promise.allSettled([b.add(1), b.add(2)])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    fail = false
    await expect(b.add(3)).resolves.toBeUndefined()
  })
})
