import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { SluiceProcess, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'

async function sideOf(base: string, user: string): Promise<string> {
  const res = await request(`${base}/`, { headers: { 'x-user-id': user } })
  return ((await res.body.json()) as { backend: string }).backend
}

async function shareNew(base: string, n = 200): Promise<number> {
  let fresh = 0
  for (let i = 0; i < n; i++) if ((await sideOf(base, `u${i}`)) === 'new') fresh++
  return fresh / n
}

async function metric(admin: string, name: string): Promise<string | undefined> {
  const text = await (await request(`${admin}/metrics`)).body.text()
  return text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1]
}

describe('config reload', () => {
  let sluice: SluiceProcess
  let backends: SideBackend[]
  const route = (percent: number, extra = '') => `  - name: app
    old: ${backends[0]!.url}
    new: ${backends[1]!.url}
    percent: ${percent}
    sticky: [header:x-user-id]
${extra}`

  beforeEach(async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(testConfig(route(0))).start()
  })
  afterEach(async () => {
    await sluice.stop()
    await Promise.all(backends.map((b) => b.close()))
  })

  it('SIGHUP applies a new percent from the file', async () => {
    expect(await shareNew(sluice.data)).toBe(0)
    sluice.writeConfig(testConfig(route(100)))
    sluice.signal('SIGHUP')
    await sluice.waitForLog((l) => l.msg === 'config reloaded')
    expect(await shareNew(sluice.data)).toBe(1)
  })

  it('SIGHUP with the file unchanged says so at info level (not only at debug)', async () => {
    sluice.signal('SIGHUP')
    const line = await sluice.waitForLog((l) => l.msg === 'config unchanged: nothing to reload')
    expect(line).toMatchObject({ level: 'info', reason: 'SIGHUP' })
  })

  it('an invalid file is refused, logged, and the running config keeps serving', async () => {
    sluice.writeConfig(testConfig(route(100)).replace('percent: 100', 'percent: 150'))
    sluice.signal('SIGHUP')
    const err = await sluice.waitForLog((l) => l.msg.startsWith('config reload refused'))
    expect(String(err.problem)).toMatch(/sluice\.yaml:\d+:\d+: routes\.0\.percent: /)
    expect(await metric(sluice.admin, 'sluice_config_last_reload_successful')).toBe('0')
    expect(await shareNew(sluice.data, 50)).toBe(0)
  })

  it('a live percent survives an unrelated reload; a change of the file percent wins', async () => {
    const put = await request(`${sluice.admin}/api/routes/app/percent`, {
      method: 'PUT', body: JSON.stringify({ percent: 100 }), headers: { 'content-type': 'application/json' },
    })
    expect(put.statusCode).toBe(200)
    await put.body.dump()
    expect(await shareNew(sluice.data, 50)).toBe(1)

    // Unrelated edit (a new header timeout): the live 100 % stays.
    sluice.writeConfig(testConfig(route(0, '    timeouts: { header: 30s }\n')))
    sluice.signal('SIGHUP')
    await sluice.waitForLog((l) => l.msg === 'config reloaded')
    expect(await shareNew(sluice.data, 50)).toBe(1)

    // The file's own percent changed: the file wins.
    sluice.writeConfig(testConfig(route(0.01, '    timeouts: { header: 30s }\n')))
    sluice.signal('SIGHUP')
    await sluice.waitForLog((l) => l.msg === 'config reloaded' && sluice.logs.filter((x) => x.msg === 'config reloaded').length >= 2)
    expect(await shareNew(sluice.data, 50)).toBeLessThan(0.1)
  })

  it('a change of the file is picked up without a signal (directory watch)', async () => {
    sluice.writeConfig(testConfig(route(100)))
    await sluice.waitForLog((l) => l.msg === 'config reloaded' && l.reason === 'file changed', 5000)
    expect(await shareNew(sluice.data, 50)).toBe(1)
  })
})
