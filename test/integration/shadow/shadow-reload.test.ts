import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { appConfig, startAppFromFile, type StartedApp } from '../../helpers/app.js'
import { startBackend, type TestBackend } from '../../helpers/backends.js'
import { waitFor } from '../../helpers/wait-for.js'

/**
 * A reload builds its route table in slices before the swap, with the shadow figures of the routes
 * as they were then. A reload that turns shadow traffic on for a route gets its figures only at the
 * swap: the table must then be compiled again, or the route would never shadow.
 */
describe('shadow traffic turned on and off by a reload', () => {
  let started: StartedApp | undefined
  let backends: TestBackend[] = []
  let dir: string | undefined

  afterEach(async () => {
    await started?.app.shutdown('test')
    started = undefined
    await Promise.all(backends.map((b) => b.close()))
    backends = []
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('shadows after the reload that adds it, and stops after the one that removes it', async () => {
    const [oldB, newB] = [await startBackend('old'), await startBackend('new')]
    backends = [oldB, newB]
    dir = mkdtempSync(join(tmpdir(), 'sluice-shadow-reload-'))
    const path = join(dir, 'sluice.yaml')
    const route = (shadow: string) => appConfig(
      `routes:\n  - name: r\n    old: ${oldB.url}\n    new: ${newB.url}\n    percent: 0\n` +
      `    sticky: [header:x-user]\n${shadow}`,
    )
    writeFileSync(path, route(''))
    started = await startAppFromFile(path)
    const get = (user: string) => fetch(`${started!.data}/x`, { headers: { 'x-user': user } }).then((r) => r.text())
    const shadowCalls = () => newB.requests.filter((r) => r.headers['x-sluice-shadow'] === '1').length

    await get('u1')
    expect(newB.requests.length).toBe(0)

    writeFileSync(path, route('    shadow: { percent: 100 }\n'))
    expect(await started.app.reload('SIGHUP')).toBe(true)
    await get('u2')
    await waitFor(() => shadowCalls() === 1, { message: 'the shadow call after the reload that added shadow' })

    writeFileSync(path, route(''))
    expect(await started.app.reload('SIGHUP')).toBe(true)
    await get('u3')
    await new Promise((r) => setTimeout(r, 200))
    expect(shadowCalls()).toBe(1)
  })
})
