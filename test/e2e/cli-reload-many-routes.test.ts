import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request } from 'undici'
import { SluiceProcess, testConfig } from '../helpers/sluice-process.js'
import { startSideBackend, type SideBackend } from '../helpers/side-backend.js'

/**
 * A reload of a large file (README "Reloading the config": parsed in a worker thread, applied in
 * slices, the route table swapped at once): applied exactly as a small one, refused as a small one.
 */
const ROUTES = 5_000

describe('config reload with 5,000 routes', () => {
  let sluice: SluiceProcess
  let backends: SideBackend[]

  /** One route per host; `percent(i)` as text, so a test can write an invalid one. */
  const routes = (percent: (i: number) => string): string => {
    let yaml = ''
    for (let i = 0; i < ROUTES; i++) {
      yaml += `  - name: svc${i}\n    match: { host: svc${i}.test }\n    old: ${backends[0]!.url}\n    new: ${backends[1]!.url}\n` +
        `    percent: ${percent(i)}\n    sticky: [header:x-user-id]\n`
    }
    return yaml
  }

  async function sideOf(route: number, user: string): Promise<string> {
    const res = await request(`${sluice.data}/`, { headers: { host: `svc${route}.test`, 'x-user-id': user } })
    return ((await res.body.json()) as { backend: string }).backend
  }

  async function sides(route: number, n = 20): Promise<string[]> {
    const out = new Set<string>()
    for (let i = 0; i < n; i++) out.add(await sideOf(route, `u${i}`))
    return [...out].sort()
  }

  beforeAll(async () => {
    backends = [await startSideBackend('old'), await startSideBackend('new')]
    sluice = await new SluiceProcess(testConfig(routes(() => '0'))).start()
  }, 60_000)
  afterAll(async () => {
    await sluice?.stop()
    await Promise.all((backends ?? []).map((b) => b.close()))
  })

  it('applies an edited percent of one route; the others keep theirs', async () => {
    expect(await sides(4_999)).toEqual(['old'])
    sluice.writeConfig(testConfig(routes((i) => (i === 4_999 ? '100' : '0'))))
    sluice.signal('SIGHUP')
    const line = await sluice.waitForLog((l) => l.msg === 'config reloaded', 30_000)
    expect((line.routes as string[]).length).toBe(ROUTES)
    expect(await sides(4_999)).toEqual(['new'])
    expect(await sides(4_998)).toEqual(['old'])
    expect(await sides(0)).toEqual(['old'])
    const status = await request(`${sluice.admin}/api/routes/svc4999`)
    expect(await status.body.json()).toMatchObject({ percent: 100 })
  }, 60_000)

  it('refuses an invalid large file with its file, line and column, and changes nothing', async () => {
    // Route 3,000 invalid; route 1 edited too: nothing of the file may be applied.
    const text = testConfig(routes((i) => (i === 3_000 ? '150' : i === 1 || i === 4_999 ? '100' : '0')))
    sluice.writeConfig(text)
    const line = text.split('\n').findIndex((l) => l === '    percent: 150') + 1
    sluice.signal('SIGHUP')
    const refused = await sluice.waitForLog((l) => l.msg.startsWith('config reload refused'), 30_000)
    expect(String(refused.problem)).toMatch(new RegExp(`sluice\\.yaml:${line}:\\d+: routes\\.3000\\.percent: `))
    expect(await sides(1)).toEqual(['old'])
    expect(await sides(3_000)).toEqual(['old'])
    expect(await sides(4_999)).toEqual(['new'])
    const metrics = await (await request(`${sluice.admin}/metrics`)).body.text()
    expect(metrics).toMatch(/^sluice_config_last_reload_successful 0$/m)
  }, 60_000)
})
