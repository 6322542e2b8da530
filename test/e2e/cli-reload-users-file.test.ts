import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SluiceApp } from '../../src/app/index.js'
import { appConfig, startAppFromFile } from '../helpers/app.js'

const LINES = 1_000_000

/** Written by another process, as in production: its garbage must not be in the measured heap. */
function writeUsers(path: string, tag: string): void {
  const script = `const ids = new Array(${LINES}); for (let i = 0; i < ${LINES}; i++) ids[i] = 'user-${tag}-' + i + '@example.com';
    require('node:fs').writeFileSync(${JSON.stringify(path)}, ids.join('\\n') + '\\n')`
  expect(spawnSync(process.execPath, ['-e', script]).status).toBe(0)
}

/** The longest event-loop block (ms) while `work` runs. */
async function maxBlockDuring<T>(work: () => Promise<T>): Promise<{ blockMs: number; result: T }> {
  const h = monitorEventLoopDelay({ resolution: 1 })
  h.enable()
  const result = await work()
  // A block that ends with the work is only recorded when the histogram's timer fires after it.
  await new Promise((r) => setTimeout(r, 20))
  h.disable()
  return { blockMs: h.max / 1e6, result }
}

/**
 * Issue 11: a reload with a 1,000,000-line usersFile must not stall serving. The product figure
 * (< 50 ms) is measured by bench/reload/users-file.mjs; this test, on a shared and loaded machine,
 * holds generous bounds that the old code still failed by far: its unchanged re-read parsed
 * everything in one ~1 s block, and a changed file cost 1.5-2 s in one block (split, Set, Map).
 * Now the unchanged re-read is a hash and a stat (~5 ms); a changed file is streamed and built in
 * slices, and what remains are young-generation GC pauses, 80-240 ms on a machine at load 8 on 2
 * cores, hence 500 ms there.
 */
describe('reload with a 1,000,000-line usersFile', () => {
  let dir: string
  let app: SluiceApp
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-reload-big-'))
    writeFileSync(join(dir, 'sluice.yaml'), appConfig(`routes:
  - name: app
    old: http://127.0.0.1:9
    new: http://127.0.0.1:9
    sticky: [header:x-user-id]
    groups:
      beta: { backend: new, usersFile: beta.txt }
`))
    writeUsers(join(dir, 'beta.txt'), 'a')
    ;({ app } = await startAppFromFile(join(dir, 'sluice.yaml')))
  }, 120_000)
  afterAll(async () => {
    await app?.shutdown('test')
    rmSync(dir, { recursive: true, force: true })
  })

  it('the unchanged re-read (the 30 s poll) blocks the loop for no more than 250 ms', async () => {
    const { blockMs, result } = await maxBlockDuring(() => app.reload('poll'))
    expect(result).toBe(true)
    expect(blockMs).toBeLessThan(250)
  })

  it('a rewritten users file is read and applied, blocking the loop for no more than 500 ms at a time', async () => {
    writeUsers(join(dir, 'beta.txt'), 'b')
    const { blockMs, result } = await maxBlockDuring(() => app.reload('SIGHUP'))
    expect(result).toBe(true)
    const users = app.config.routes[0]!.groups[0]!.users
    expect(users.length).toBe(LINES)
    expect(users[LINES - 1]).toBe(`user-b-${LINES - 1}@example.com`)
    expect(blockMs).toBeLessThan(500)
  }, 120_000)
})
