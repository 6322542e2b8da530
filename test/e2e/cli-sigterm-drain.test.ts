import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { SluiceProcess, stopSluiceAndBackends, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'
import { waitFor } from '../helpers/wait-for.js'

describe('SIGTERM drain', () => {
  let sluice: SluiceProcess | undefined
  let backends: SideBackend[] = []
  afterEach(() => stopSluiceAndBackends(sluice, backends))

  it('turns readiness off, finishes the in-flight request with connection: close, then exits 0', async () => {
    // Long enough for the checks below to run while the request is still in flight, even on a
    // loaded machine; the test does not wait for it more than once.
    const old = await startSideBackend('old', { delayMs: 1_500 })
    const nu = await startSideBackend('new')
    backends = [old, nu]
    sluice = await new SluiceProcess(testConfig(`  - name: app
    old: ${old.url}
    new: ${nu.url}
    percent: 0
`).replace('drainDelay: 0s', 'drainDelay: 300ms')).start()

    expect((await request(`${sluice.admin}/readyz`)).statusCode).toBe(200)
    const inflight = request(`${sluice.data}/slow`)
    await waitFor(() => old.hits === 1, { intervalMs: 5, message: 'the request to reach the slow backend' })
    sluice.signal('SIGTERM')
    await sluice.waitForLog((l) => l.msg === 'shutting down')

    const ready = await request(`${sluice.admin}/readyz`)
    expect(ready.statusCode).toBe(503)
    await ready.body.dump()

    const res = await inflight
    expect(res.statusCode).toBe(200)
    expect(res.headers.connection).toBe('close')
    expect(await res.body.json()).toEqual({ backend: 'old' })
    expect(await sluice.exited()).toBe(0)
    await expect(request(`${sluice.data}/`)).rejects.toThrow()
  })
})
